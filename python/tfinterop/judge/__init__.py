"""The one judge: every client's results against the goldens (docs/CONTRACT.md "Comparison").

results: what a client wrote for a case; codes: error codes per transport;
values: tensor values (exact, ULP, atol/rtol, argmax); compare: one case against
its result; precision: which rows must be bit-exact; expected: the expected-failure
lists; matrix: every row and its verdict; report: interop.{json,md}, failures.json.
"""
