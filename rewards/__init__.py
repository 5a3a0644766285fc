"""Prover rewards for the Prover-Verifier Game (SRC, CGC, goodhart, correctness).

Pure functions over lists with no model or trainer imports, behind one thin TRL adapter. They land
with the game (see docs/ and the project's issues); this package exists now so the layout is fixed.
"""
