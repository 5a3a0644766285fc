"""The verifier's one encoding: what TRL trains on is what the scorer reads."""

from tokenizers import processors

from envs.prompts import prover_prompt
from selfplay.game.verifier_data import Pair
from selfplay.game.verifier_training import pairs_dataset
from selfplay.models.tiny import build_tiny_tokenizer
from selfplay.models.verifier_text import encode_verifier_inputs, format_verifier_input


def test_template_text_is_pinned():
    assert format_verifier_input(" Ava has 3 cards. ", "3 + 4 = 7\n#### 7\n") == (
        "Problem: Ava has 3 cards.\nSolution:\n3 + 4 = 7\n#### 7"
    )


def test_ids_end_with_eos_and_repeat_for_repeated_texts():
    tokenizer = build_tiny_tokenizer()
    ids = encode_verifier_inputs(tokenizer, ["q", "q", "r"], ["1 + 1 = 2\n#### 2"] * 3)
    assert ids[0] == ids[1] != ids[2]
    assert all(row[-1] == tokenizer.eos_token_id for row in ids)
    assert tokenizer.decode(ids[0]) == "Problem: q\nSolution:\n1 + 1 = 2\n#### 2</s>"


def test_solution_reaches_the_verifier_as_the_same_tokens_the_prover_wrote():
    # A verifier started from the warm-started prover then reads solutions as that LM learned them.
    tokenizer = build_tiny_tokenizer()
    question, solution = "Ava has 3 cards.", "3 + 4 = 7\n7 * 2 = 14\n#### 14"
    written = tokenizer(prover_prompt(question, "helpful") + solution, add_special_tokens=False)["input_ids"]
    read = encode_verifier_inputs(tokenizer, [question], [solution])[0][:-1]  # without EOS
    solution_ids = tokenizer(solution, add_special_tokens=False)["input_ids"]
    assert written[-len(solution_ids) :] == read[-len(solution_ids) :] == solution_ids


def test_training_pairs_carry_the_scorer_ids_even_for_a_bos_adding_tokenizer():
    tokenizer = build_tiny_tokenizer()
    # A Llama-style post-processor: tokenizer(text) would prepend BOS, as TRL's own tokenization does.
    tokenizer.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", tokenizer.bos_token_id)]
    )
    assert tokenizer("x")["input_ids"][0] == tokenizer.bos_token_id
    pair = Pair("p", -1, "Ava has 3 cards.", "3 + 4 = 7\n#### 7", "3 + 4 = 8\n#### 8")
    row = pairs_dataset([pair, pair], tokenizer)[0]
    solutions = [pair.correct_solution, pair.incorrect_solution]
    expected = encode_verifier_inputs(tokenizer, [pair.question] * 2, solutions)
    assert [row["chosen_ids"], row["rejected_ids"]] == expected
    assert tokenizer.bos_token_id not in row["chosen_ids"]


def test_tiny_tokenizer_keeps_a_step_to_five_tokens_and_template_words_whole():
    tokenizer = build_tiny_tokenizer()
    assert tokenizer.tokenize("\n10 - 5 = 5") == ["Ċ", "10", "Ġ-", "Ġ5", "Ġ=", "Ġ5"]
    assert tokenizer.tokenize("Problem: x\nSolution:")[:2] == ["Problem", ":"]
    text = "Problem: x $3.50 -12 (−4) 1/2 é 10.5%\nSolution: 😀"
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == text
