# ml_dash's Experiment API as its reference writes it, one call of each kind,
# recorded into g's store with one import changed (`from g_runs import ...`).
# local_path= is ml_dash's local store; here it names g's store.
#   python3 examples/sdk/ml_dash_tour.py STORE_DIR
#   G_HOME=STORE_DIR g runs info 1
import sys
from g_runs import Experiment, ml_dash_experiment

store = sys.argv[1]

with Experiment(
    prefix="alice/tour/resnet-baseline",
    description="ResNet baseline, every API call once",
    tags=["baseline"],
    bindrs=["team-a"],
    metadata={"gpu": "a100"},
    local_path=store,
).run as exp:
    # Parameters: nested dicts are flattened; log() is set()
    exp.params.set(model={"architecture": "resnet50", "layers": 50}, optimizer={"lr": 0.001})
    exp.params.log(batch_size=64)

    # Logging: levels and metadata, and the fluent form
    exp.log("Training started")
    exp.log("GPU memory low", level="warn", metadata={"free_gb": 1.5})
    exp.log("Epoch completed", level="info", epoch=1, loss=0.5)
    exp.logs.error("Failed to load checkpoint", path="/ckpt/last.pt")

    # Metrics: namespaces with log/flush, the nested form, append and append_batch
    for epoch in range(3):
        exp.metrics("train").log(loss=1.0 / (epoch + 1), accuracy=0.5 + 0.1 * epoch)
        exp.metrics.log(epoch=epoch).flush()
    exp.metrics.log(epoch=3, train=dict(loss=0.2, accuracy=0.85), eval=dict(loss=0.3, accuracy=0.8), _flush=True)
    exp.metrics("train_loss").append(value=0.5, epoch=1, step=100)
    exp.metrics.append(name="train_loss", value=0.4, step=200)
    exp.metrics("lr").append_batch([{"value": 0.001, "step": 0}, {"value": 0.0005, "step": 1}])
    for batch in range(4):
        exp.metrics("batch").buffer(loss=0.1 * batch)
    exp.metrics.buffer.log_summary("mean", "max")
    exp.metrics.log(epoch=4).flush()
    print("train points:", exp.metrics("train").read(start_index=0, limit=100)["total"])
    print("train_loss points:", exp.metrics("train_loss").stats()["totalDataPoints"])

    # Files: upload, save objects, list, download, delete
    with open("model.pt", "wb") as f:
        f.write(b"\x00weights\x01")
    saved = exp.files("models").upload("./model.pt", description="Best model checkpoint", tags=["best"])
    exp.files("configs").save_json({"model": "resnet50", "lr": 0.001}, to="config.json")
    exp.files.save_text("model:\n  layers: 50\n", to="configs/view.yaml")
    exp.files("data").save_blob(b"\x00\x01\x02", to="data.bin")
    exp.files("data").save_pkl({"results": [1, 2, 3]}, to="results.pkl")
    print("listed:", sorted(f["filename"] for f in exp.files().list()))
    print("configs:", sorted(f["filename"] for f in exp.files("configs").list("*.json")))
    print("downloaded:", exp.files("models/model.pt").download(to="copy.pt"), open("copy.pt", "rb").read() == b"\x00weights\x01")
    print("by id:", exp.files(file_id=saved["id"]).download(to="by-id.pt"))
    exp.files(file_id=saved["id"], tags=["best", "v1"]).update()
    exp.files.delete("data/*.bin")
    print("exists:", exp.files("configs/config.json").exists(), exp.files("data/data.bin").exists())


# The decorator forms
exp = Experiment(prefix="alice/tour/decorated", local_path=store)


@exp.run
def train_model(experiment):
    experiment.log("Training...")
    experiment.params.set(lr=0.001)
    return "done"


print("decorator:", train_model())


@ml_dash_experiment(prefix="alice/tour/decorated-2", local_path=store)
def train(experiment=None):
    experiment.metrics("loss").append(value=0.25, step=1)
    return "done"


print("ml_dash_experiment:", train())

# Manual control, ending as cancelled
exp = Experiment(prefix="alice/tour/cancelled", local_path=store)
exp.run.start()
exp.log("stopping early")
exp.run.cancel()
