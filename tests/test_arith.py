import pytest
import sympy

from envs.arith import OVERSIZE, PARSE_ERROR, UNDEFINED, UNSUPPORTED, ArithError, evaluate

R = sympy.Rational


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,080", R(1080)),
        ("1,575,000", R(1575000)),
        ("0.5", R(1, 2)),
        (".25", R(1, 4)),
        ("1/2", R(1, 2)),
        ("\\frac{1}{2}", R(1, 2)),
        ("\\dfrac{3}{4}", R(3, 4)),
        ("\\frac{\\frac{1}{2}}{3}", R(1, 6)),
        ("-3", R(-3)),
        ("3 - -2", R(5)),
        ("2 + 3 * 4", R(14)),
        ("(2 + 3) * 4", R(20)),
        ("2^10", R(1024)),
        ("2**3**2", R(512)),
        ("2^-2", R(1, 4)),
        ("0.2 x 50", R(10)),
        ("6 × 7 ÷ 2", R(21)),
        ("3 \\cdot 4", R(12)),
        ("25%", R(1, 4)),
        ("20% of 80", R(16)),
        ("$1,080", R(1080)),
        ("\\left( 3 + 1 \\right)", R(4)),
        ("7 − 2", R(5)),
    ],
)
def test_evaluates_exactly(text, value):
    assert evaluate(text) == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", PARSE_ERROR),
        ("3 +", PARSE_ERROR),
        ("((3)", PARSE_ERROR),
        ("x", UNSUPPORTED),
        ("\\sqrt{2}", UNSUPPORTED),
        ("(3, 4)", UNSUPPORTED),
        ("\\frac12", UNSUPPORTED),
        ("2^(1/2)", UNSUPPORTED),
        ("1/0", UNDEFINED),
        ("0^-1", UNDEFINED),
        ("9**9**9**9", OVERSIZE),
        ("10^(10^100)", OVERSIZE),
        ("(" * 40 + "1" + ")" * 40, OVERSIZE),
        ("1" * 60, OVERSIZE),
        ("1+" * 300 + "1", OVERSIZE),
        ("__import__('os').system('echo hi')", UNSUPPORTED),
    ],
)
def test_refuses_with_reason(text, reason):
    with pytest.raises(ArithError) as info:
        evaluate(text)
    assert info.value.reason == reason


def test_intermediate_results_are_size_bounded():
    # 9^400 has 1,268 bits: two multiply within the 4,096-bit bound, four exceed it mid-way.
    assert evaluate("9^400 * 9^400") == sympy.Integer(9) ** 800
    with pytest.raises(ArithError) as info:
        evaluate("9^400 * 9^400 * 9^400 * 9^400")
    assert info.value.reason == OVERSIZE
