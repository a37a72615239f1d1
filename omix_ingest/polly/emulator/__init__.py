"""A Polly OmixAtlas API emulator for tests and dry runs, one module per group of endpoints: the JSON:API
endpoints the public SDK uses (see the reference `polly-wire.md`), an S3-compatible store (moto's server mode)
for uploads, a commit that really makes datasets appear, and switchable faults.

Discover (`{D}`), v2 (`{B}`), auth (`{A}`) and elastic (`{E}`) paths share one base URL; their paths do not collide.
Faults are armed with `POST /_emulator/faults` `{"kind": ..., "count": n, "path": "substring"}`; kinds: `5xx`,
`429` (with Retry-After), `slow` (sleeps past a read timeout), `413`, `locked` ("Repository Locked"),
`drop` (the connection is closed without an answer), `expired_s3` (the next credentials handed out are already
expired: uploads with them are refused by the S3 front). `{"kind": "random", "p": 0.05, "seed": 7}` turns on
random faults: every request (S3 ones too, unless `"s3": false`) meets one with probability p, its kind drawn from
`kinds` (default: all of the above but 413), seeded; `GET /_emulator/stats` counts the requests and the faults
played by kind.
"""

from omix_ingest.polly.emulator.server import EmulatorServer, create_app
from omix_ingest.polly.emulator.state import BUCKET, EmulatorState, Fault

__all__ = ["BUCKET", "EmulatorServer", "EmulatorState", "Fault", "create_app"]
