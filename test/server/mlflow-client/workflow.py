"""A full MLflow workflow, as a user of MLflow 3.6's own Python client writes it,
against lockstep's server (MLFLOW_TRACKING_URI). It asserts nothing itself: it
prints what the client saw as one JSON object, and the node test
(test/server/mlflow-client.test.ts) asserts on that and on the database.

usage: workflow.py WORKDIR LOCKSTEP_MODEL_JSON BIG_MIB
"""

import hashlib
import json
import os
import sys
import time

import mlflow
from mlflow import MlflowClient
from mlflow.data.http_dataset_source import HTTPDatasetSource
from mlflow.data.meta_dataset import MetaDataset
from mlflow.entities import LoggedModelInput, LoggedModelOutput, Metric, Param, RunTag, ViewType

from common import error_of

work, lockstep_model, big_mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
client = MlflowClient()
out = {}




def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def names(runs):
    return [r.info.run_name for r in runs]


# --- experiments -------------------------------------------------------------
# longer than the 52 characters a table name used to allow, with characters no identifier has
long_name = "mlflow compat / " + "x" * 60 + " ünïcødé"
exp = mlflow.set_experiment(long_name)
exp_id = exp.experiment_id
out["experiment"] = {"id": exp_id, "name": exp.name, "artifact_location": exp.artifact_location}

other_id = client.create_experiment("compat-other", artifact_location="relative/dir", tags={"team": "vision"})
other = client.get_experiment(other_id)
out["other"] = {"artifact_location": other.artifact_location, "tags": other.tags}
client.set_experiment_tag(other_id, "drop", "me")
client.delete_experiment_tag(other_id, "drop")
out["other_tags_after_delete"] = client.get_experiment(other_id).tags
client.rename_experiment(other_id, "compat-renamed")
client.delete_experiment(other_id)
out["deleted_experiments"] = [e.name for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)]
client.restore_experiment(other_id)
out["search_experiments"] = [
    e.name for e in client.search_experiments(filter_string="name LIKE 'compat%'", order_by=["name ASC"])
]
out["experiment_by_name"] = client.get_experiment_by_name(long_name).experiment_id
out["missing_experiment"] = client.get_experiment_by_name("no such experiment")

# --- runs: fluent API, nested runs, params, metrics, tags, batches, datasets --
with mlflow.start_run(run_name="parent") as parent:
    parent_id = parent.info.run_id
    mlflow.log_param("model", "knn")
    mlflow.log_params({"k": 5, "weights": "uniform"})
    for step in range(30):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    mlflow.log_metrics({"acc": 0.9, "f1": 0.85})
    mlflow.set_tag("stage", "dev")
    mlflow.set_tags({"owner": "alice"})
    child_ids = []
    for i, acc in enumerate([0.7, 0.95, 0.8]):
        with mlflow.start_run(run_name=f"child-{i}", nested=True) as child:
            child_ids.append(child.info.run_id)
            mlflow.log_param("model", "forest" if i == 1 else "knn")
            mlflow.log_param("k", i)
            mlflow.log_metric("acc", acc)
    now = int(time.time() * 1000)
    client.log_batch(
        parent_id,
        metrics=[Metric("batch", float(i), now, i) for i in range(500)],
        params=[Param("batch_p", "x")],
        tags=[RunTag("batch_t", "y")],
    )
    dataset = MetaDataset(HTTPDatasetSource("https://example.com/iris.csv"), name="iris", digest="d1g35t")
    mlflow.log_input(dataset, context="training")

with mlflow.start_run(run_name="failing"):
    mlflow.log_param("model", "svm")
mlflow.end_run()
failing_id = client.search_runs([exp_id], "attributes.run_name = 'failing'")[0].info.run_id
client.set_terminated(failing_id, "FAILED")
killed = client.create_run(exp_id, run_name="killed")
client.set_terminated(killed.info.run_id, "KILLED")

got = client.get_run(parent_id)
out["parent"] = {
    "id": parent_id,
    "status": got.info.status,
    "params": got.data.params,
    "metrics": got.data.metrics,
    "tags": {k: v for k, v in got.data.tags.items() if not k.startswith("mlflow.source")},
    "artifact_uri": got.info.artifact_uri,
    "inputs": [
        {"name": d.dataset.name, "digest": d.dataset.digest, "tags": {t.key: t.value for t in d.tags}}
        for d in got.inputs.dataset_inputs
    ],
}
out["children"] = child_ids
out["history"] = [(m.step, m.value) for m in client.get_metric_history(parent_id, "loss")]
out["batch_history"] = len(client.get_metric_history(parent_id, "batch"))

# --- search: filters, order, paging ------------------------------------------
s = client.search_runs
out["search"] = {
    "acc_knn": names(s([exp_id], "metrics.acc > 0.75 and params.model = 'knn'", order_by=["metrics.acc DESC"])),
    "two_keys": names(s([exp_id], "", order_by=["params.model ASC", "metrics.acc DESC"])),
    "parameter_prefix": names(s([exp_id], "parameter.model = 'forest'")),
    "bare_attribute": names(s([exp_id], "run_name = 'child-0'")),
    "created": len(s([exp_id], "attributes.created > 0")),
    "failed": names(s([exp_id], "attributes.status = 'FAILED'")),
    "killed": names(s([exp_id], "status = 'KILLED'")),
    "by_status": [r.info.status for r in s([exp_id], "", order_by=["attributes.status ASC", "run_name ASC"])],
    "dataset": names(s([exp_id], "dataset.name = 'iris' and dataset.context = 'training'")),
    "dataset_digest_in": names(s([exp_id], "dataset.digest IN ('d1g35t', 'other')")),
    "children": sorted(names(s([exp_id], f"tags.mlflow.parentRunId = '{parent_id}'"))),
    "or": sorted(names(s([exp_id], "params.model = 'forest' or params.model = 'svm'"))),
    "param_number": error_of(lambda: s([exp_id], "params.model = 1")),
}
pages, token = [], None
while True:
    page = s([exp_id], "", order_by=["attributes.start_time ASC"], max_results=2, page_token=token)
    pages.append(names(page))
    token = page.token
    if not token:
        break
out["pages"] = pages

# --- delete and restore -------------------------------------------------------
client.delete_run(child_ids[0])
out["active_after_delete"] = len(s([exp_id], ""))
out["deleted_only"] = names(s([exp_id], "", run_view_type=ViewType.DELETED_ONLY))
out["write_to_deleted"] = error_of(lambda: client.log_metric(child_ids[0], "acc", 1.0))
client.restore_run(child_ids[0])
out["active_after_restore"] = len(s([exp_id], ""))

# --- artifacts ----------------------------------------------------------------
files = os.path.join(work, "files")
os.makedirs(os.path.join(files, "sub"), exist_ok=True)
with open(os.path.join(files, "a.csv"), "w") as f:
    f.write("x,y\n1,2\n")
with open(os.path.join(files, "sub", "b.txt"), "w") as f:
    f.write("inner")
notes = os.path.join(work, "notes.txt")
with open(notes, "w") as f:
    f.write("a note")
with mlflow.start_run(run_id=parent_id):
    out["empty_listing"] = [a.path for a in client.list_artifacts(parent_id)]
    mlflow.log_artifact(notes)
    mlflow.log_artifacts(files, "data")
    mlflow.log_text("hello", "texts/hello.txt")
    mlflow.log_dict({"lr": 0.1}, "cfg/config.json")
out["listing"] = [(a.path, a.is_dir, a.file_size) for a in client.list_artifacts(parent_id)]
out["listing_data"] = [(a.path, a.is_dir, a.file_size) for a in client.list_artifacts(parent_id, "data")]
down = client.download_artifacts(parent_id, "data", os.path.join(work, "down"))
out["downloaded"] = sorted(
    os.path.relpath(os.path.join(d, f), down) for d, _, fs in os.walk(down) for f in fs
)
out["downloaded_text"] = mlflow.artifacts.load_text(f"runs:/{parent_id}/texts/hello.txt")
out["downloaded_dict"] = mlflow.artifacts.load_dict(f"runs:/{parent_id}/cfg/config.json")

big = os.path.join(work, "big.bin")
with open(big, "wb") as f:
    for i in range(big_mib):
        f.write(hashlib.sha256(str(i).encode()).digest() * (1 << 15))
t0 = time.time()
client.log_artifact(parent_id, big, "big")
t1 = time.time()
got_big = mlflow.artifacts.download_artifacts(
    run_id=parent_id, artifact_path="big/big.bin", dst_path=os.path.join(work, "big-down")
)
t2 = time.time()
out["big"] = {
    "bytes": os.path.getsize(got_big),
    "same": sha256(big) == sha256(got_big),
    "upload_s": round(t1 - t0, 2),
    "download_s": round(t2 - t1, 2),
}

# --- the model registry -------------------------------------------------------
mdir = os.path.join(work, "mlmodel")
os.makedirs(mdir, exist_ok=True)
with open(os.path.join(mdir, "MLmodel"), "w") as f:
    f.write(
        "artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n"
        "    python_version: 3.11.2\n  sklearn:\n    pickled_model: model.pkl\n    sklearn_version: 1.5.0\n"
    )
with open(os.path.join(mdir, "model.pkl"), "wb") as f:
    f.write(b"\x80\x04not really a pickle")
with mlflow.start_run(run_name="trainer") as trainer:
    trainer_id = trainer.info.run_id
    mlflow.log_artifacts(mdir, "model")
    mlflow.log_artifact(lockstep_model, "lsmodel")
mv1 = mlflow.register_model(f"runs:/{trainer_id}/model", "compat-sklearn", tags={"origin": "mlflow"})
client.create_registered_model("compat-iris", tags={"team": "ml"}, description="iris through MLflow")
mv_iris = client.create_model_version(
    "compat-iris",
    source=f"{client.get_run(trainer_id).info.artifact_uri}/lsmodel",
    run_id=trainer_id,
    description="a lockstep model file",
)
client.set_registered_model_alias("compat-iris", "champion", mv_iris.version)
client.set_registered_model_alias("compat-sklearn", "candidate", mv1.version)
mv2 = client.create_model_version("compat-sklearn", source=f"runs:/{trainer_id}/model", run_id=trainer_id)
client.set_model_version_tag("compat-sklearn", mv2.version, "validated", "no")
client.update_model_version("compat-sklearn", mv2.version, description="second")
client.update_registered_model("compat-sklearn", description="sklearn through MLflow")
client.delete_model_version_tag("compat-sklearn", mv2.version, "validated")
client.delete_model_version("compat-sklearn", mv2.version)
client.set_registered_model_tag("compat-iris", "drop", "me")
client.delete_registered_model_tag("compat-iris", "drop")
client.set_registered_model_alias("compat-iris", "old", mv_iris.version)
client.delete_registered_model_alias("compat-iris", "old")
client.transition_model_version_stage("compat-iris", mv_iris.version, "Production")
by_alias = client.get_model_version_by_alias("compat-iris", "champion")
sk = client.get_registered_model("compat-sklearn")
out["registry"] = {
    "trainer": trainer_id,
    "mv1": {"version": mv1.version, "status": mv1.status, "run_id": mv1.run_id, "source": mv1.source, "tags": mv1.tags},
    "iris_version": mv_iris.version,
    "by_alias": {"version": by_alias.version, "aliases": list(by_alias.aliases), "run_id": by_alias.run_id},
    "sklearn": {"description": sk.description, "aliases": sk.aliases, "latest": [v.version for v in sk.latest_versions]},
    "search_models": [m.name for m in client.search_registered_models(filter_string="name LIKE 'compat-%'")],
    "search_versions": [
        (v.name, v.version) for v in client.search_model_versions("name = 'compat-sklearn'")
    ],
    "latest": [v.version for v in client.get_latest_versions("compat-sklearn")],
    "production": [(v.version, v.current_stage) for v in client.get_latest_versions("compat-iris", stages=["Production"])],
    "iris_tags": client.get_registered_model("compat-iris").tags,
    "iris_aliases": client.get_registered_model("compat-iris").aliases,
    "download_uri": client.get_model_version_download_uri("compat-sklearn", "1"),
    "native": {
        "versions": [v.version for v in client.search_model_versions("name = 'native-iris'")],
        "aliases": client.get_registered_model("native-iris").aliases,
    },
    "missing": error_of(lambda: client.get_registered_model("no-such-model")),
    "bad_alias": error_of(lambda: client.set_registered_model_alias("compat-iris", "latest", "1")),
}
dl = mlflow.artifacts.download_artifacts("models:/compat-sklearn/1", dst_path=os.path.join(work, "dl-sklearn"))
out["registry"]["download_sklearn"] = sorted(os.listdir(dl))
out["registry"]["download_sklearn_same"] = sha256(os.path.join(dl, "model.pkl")) == sha256(os.path.join(mdir, "model.pkl"))
dl = mlflow.artifacts.download_artifacts("models:/compat-iris@champion", dst_path=os.path.join(work, "dl-iris"))
out["registry"]["download_iris"] = sorted(os.listdir(dl))
dl = mlflow.artifacts.download_artifacts("models:/native-iris/1", dst_path=os.path.join(work, "dl-native"))
out["registry"]["download_native"] = sorted(os.listdir(dl))
# MLflow 3's logged models: a model with its own artifacts, linked to the run that made it
lm = client.create_logged_model(
    exp_id, name="lm", source_run_id=trainer_id, params={"alpha": "0.1"}, tags={"k": "v"}, model_type="sk"
)
client.log_model_artifacts(lm.model_id, mdir)
client.log_model_params(lm.model_id, {"beta": "2"})
client.set_logged_model_tags(lm.model_id, {"k2": "v2"})
client.delete_logged_model_tag(lm.model_id, "k")
client.finalize_logged_model(lm.model_id, "READY")
client.log_outputs(trainer_id, [LoggedModelOutput(lm.model_id, 3)])
client.log_inputs(parent_id, models=[LoggedModelInput(lm.model_id)])
gone = client.create_logged_model(exp_id, name="gone")
client.delete_logged_model(gone.model_id)
got_lm = client.get_logged_model(lm.model_id)
mv_lm = mlflow.register_model(f"models:/{lm.model_id}", "compat-logged")
out["logged"] = {
    "id": lm.model_id,
    "status": str(got_lm.status),
    "params": got_lm.params,
    "tags": {k: v for k, v in got_lm.tags.items() if not k.startswith("mlflow.")},
    "artifact_location": got_lm.artifact_location,
    "files": sorted(f.path for f in client.list_logged_model_artifacts(lm.model_id)),
    "search": [m.model_id for m in client.search_logged_models([exp_id], filter_string="name = 'lm'")],
    "outputs": [(o.model_id, o.step) for o in client.get_run(trainer_id).outputs.model_outputs],
    "model_inputs": [m.model_id for m in client.get_run(parent_id).inputs.model_inputs],
    "deleted": error_of(lambda: client.get_logged_model(gone.model_id)),
    "registered": {"version": mv_lm.version, "source": mv_lm.source},
    "download": sorted(os.listdir(mlflow.artifacts.download_artifacts(
        f"models:/{lm.model_id}", dst_path=os.path.join(work, "dl-logged")))),
}

client.create_registered_model("compat-tmp")
client.rename_registered_model("compat-tmp", "compat-tmp2")
client.delete_registered_model("compat-tmp2")
out["registry"]["after_delete"] = [m.name for m in client.search_registered_models()]

print(json.dumps(out))
