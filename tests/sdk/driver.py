"""Drive the real, unmodified polly-python SDK against the emulator (run with the SDK's own interpreter).

Only what polly-wire.md says a test driver patches is patched: the SDK's hard-coded hosts (and nothing else of
its URLs) are pointed at the emulator at the transport, the GitHub version check is blocked, Mixpanel is a no-op,
long sleeps are skipped, 0.3.2's list-page lever is answered, and S3 goes to the emulator's endpoint with
path-style addressing. Prints one JSON object with what each step did.

usage: driver.py API_URL S3_URL REPO DEST_REPO DATA_DIR METADATA_DIR UPDATE_METADATA_DIR
"""

import json
import os
import re
import sys
import time
import traceback
from pathlib import Path

api, s3, repo, dest, data_dir, metadata_dir, update_dir = sys.argv[1:8]

os.environ.update(
    {
        "AWS_ENDPOINT_URL_S3": s3,
        "AWS_ENDPOINT_URL": s3,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
        "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
    }
)
config = Path(metadata_dir).resolve().parent / "aws-config"
config.write_text("[default]\ns3 =\n    addressing_style = path\n", encoding="utf-8")
os.environ["AWS_CONFIG_FILE"] = str(config)

import requests  # noqa: E402

_send = requests.Session.send
HOSTS = re.compile(r"https://(apis|v2\.api|api\.discover|api\.datalake\.discover)\.polly\.elucidata\.io(/.*)")


def send(self, request, **kwargs):
    match = HOSTS.match(request.url)
    if match:
        request.url = api + match.group(2)  # only the host changes: every path is the SDK's own
    elif "github.io" in request.url:
        raise requests.ConnectionError("blocked in the test driver")
    return _send(self, request, **kwargs)


requests.Session.send = send

import mixpanel  # noqa: E402

mixpanel.Mixpanel.track = lambda *args, **kwargs: None
_sleep = time.sleep
time.sleep = lambda seconds: _sleep(min(seconds, 0.05))

from polly.omixatlas import OmixAtlas  # noqa: E402

try:  # 0.3.2 reads its list page size from a public asset; polly-wire.md has the driver answer (2600, 20)
    from polly import omixatlas_hlpr

    if hasattr(omixatlas_hlpr, "fetch_list_api_control_levers"):
        omixatlas_hlpr.fetch_list_api_control_levers = lambda: (2600, 20)
except ImportError:  # 2.5.0 keeps its helpers elsewhere and does not fetch the lever
    pass

results = {}


def step(name, call):
    try:
        value = call()
        if hasattr(value, "to_dict"):
            value = value.to_dict(orient="records")
        results[name] = {"ok": True, "value": value}
    except Exception as exc:  # report every failure to the test, with its traceback
        results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
    results[name]["state"] = _send(
        requests.Session(), requests.Request("GET", f"{api}/_emulator/state").prepare()
    ).json()


client = OmixAtlas(os.environ["POLLY_REFRESH_TOKEN"])
step("template", lambda: client.dataset_metadata_template(repo))
step("add", lambda: client.add_datasets(repo, {"data": data_dir, "metadata": metadata_dir}, priority="medium"))
step("update", lambda: client.update_datasets(repo, {"data": data_dir, "metadata": update_dir}, priority="medium"))
step("move", lambda: client.move_data(repo, dest, ["GSE1_GPL1"]))
step("delete", lambda: client.delete_datasets(repo, ["GSE2_GPL1"]))
print(json.dumps(results, default=str))
