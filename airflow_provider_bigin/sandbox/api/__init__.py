"""What the sandbox serves in Zoho's name: the routes, and what every request passes through on the way.

The table of every endpoint's method, path and name (``endpoints``); their handlers, for Zoho Accounts' token
endpoints (``oauth``) and the Bigin v2 API (``tags``, ``records``, ``settings``); the checks each API call
passes (``auth``), the reading of its parameters (``params``) and Zoho's whole-request errors (``errors``).
Together they are the sandbox's model of Zoho's HTTP contract, the part a client's tests depend on
(docs/zoho-facts.md).

Kept apart from the rest of the sandbox: the in-memory model (``state``, ``store``, ``accounts``) never
sees a request, and the machinery around these routes (``app``, which mounts them; ``conditions``: latency,
faults and the concurrency cap; ``control``: the harness's endpoints under ``/__sandbox__/``) is the sandbox's
own, not part of what Zoho serves.
"""
