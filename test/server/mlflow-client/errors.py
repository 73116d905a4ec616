"""The documented errors, as MLflow 3.6's Python client meets them against
lockstep's server (MLFLOW_TRACKING_URI): the client's exceptions (error code and
message) and, for what the client never sends, raw HTTP. Prints one JSON object.
"""

import json
import os

import mlflow
import requests
from mlflow import MlflowClient

from common import error_of

uri = os.environ["MLFLOW_TRACKING_URI"].rstrip("/")
client = MlflowClient()
out = {}



def raw(method, path, **kw):
    r = requests.request(method, uri + path, timeout=30, **kw)
    try:
        body = r.json()
    except ValueError:
        body = {"text": r.text}
    return r.status_code, body


exp_id = client.create_experiment("errors")
run = client.create_run(exp_id)
run_id = run.info.run_id
client.log_param(run_id, "p", "1")

out["missing_run"] = error_of(lambda: client.get_run("0" * 32))
out["duplicate_experiment"] = error_of(lambda: client.create_experiment("errors"))
out["changed_param"] = error_of(lambda: client.log_param(run_id, "p", "2"))
out["bad_filter"] = error_of(lambda: client.search_runs([exp_id], "metrics.acc >"))

status, body = raw("GET", "/api/2.0/mlflow/no-such-endpoint")
out["unknown_endpoint"] = [status, body.get("error_code")]
status, body = raw("GET", f"/api/2.0/mlflow-artifacts/artifacts/{exp_id}/{run_id}/artifacts/nothing.txt")
out["unknown_artifact"] = [status, body.get("error_code")]
status, body = raw("POST", "/api/2.0/mlflow/experiments/create", json={"name": 123})
out["name_number"] = {"status": status, "message": body.get("message")}
status, body = raw("POST", "/api/2.0/mlflow/experiments/create", json={})
out["name_missing"] = {"status": status, "message": body.get("message")}
status, body = raw("GET", "/api/2.0/mlflow/artifacts/list", params={"run_id": run_id, "path": "../x"})
out["list_traversal"] = [status, body.get("error_code"), body.get("message")]
status, body = raw("GET", "/api/2.0/mlflow-artifacts/artifacts", params={"path": f"{exp_id}/{run_id}/artifacts/../../x"})
out["proxy_traversal"] = [status, body.get("error_code"), body.get("message")]
status, body = raw("PUT", f"/api/2.0/mlflow-artifacts/artifacts/{exp_id}/{run_id}/artifacts/%2e%2e/escape.txt", data=b"x")
out["put_traversal"] = [status, body.get("error_code")]
r = requests.get(uri + "/version", timeout=30)
out["version"] = [r.status_code, r.text]

out["missing_model"] = error_of(lambda: client.get_registered_model("no-such-model"))
client.create_registered_model("errors-model")
out["missing_version"] = error_of(lambda: client.get_model_version("errors-model", "7"))
out["reserved_alias"] = error_of(lambda: client.set_registered_model_alias("errors-model", "v1", "1"))

print(json.dumps(out))
