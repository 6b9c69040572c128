# The grid search of shared/seeds/002 (ml_dash "Hyperparameter Search"), with
# only the import changed: 9 experiments (lr x batch size), each its own g run.
#   PYTHONPATH=$(g sdk python-path) python3 examples/sdk/grid_search.py
#   g compare
from itertools import product
import random
from g_runs import Experiment

def train_with_config(lr, batch_size, experiment):
    """Simulate training with given hyperparameters."""
    epochs = 10
    final_accuracy = 0

    for epoch in range(epochs):
        # Simulate: lower lr = better but slower convergence
        loss = 1.0 / (epoch + 1) * (lr / 0.01) + random.uniform(-0.05, 0.05)
        # Simulate: larger batch_size = slightly worse performance
        accuracy = min(0.95, 0.5 + epoch * 0.05 * (32 / batch_size))

        experiment.metrics("train").log(loss=loss, accuracy=accuracy)
        experiment.metrics.log(epoch=epoch).flush()

        final_accuracy = accuracy

    return final_accuracy

def hyperparameter_search():
    """Run grid search over hyperparameters."""

    learning_rates = [0.1, 0.01, 0.001]
    batch_sizes = [16, 32, 64]

    results = []

    # Test each combination
    for lr, bs in product(learning_rates, batch_sizes):
        experiment_name = f"search-lr{lr}-bs{bs}"

        with Experiment(
            prefix=f"alice/hyperparameter-search/{experiment_name}",
            description=f"Grid search: lr={lr}, batch_size={bs}",
            tags=["grid-search", f"lr-{lr}", f"bs-{bs}"]
        ).run as experiment:
            # Metric hyperparameters
            experiment.params.set(
                learning_rate=lr,
                batch_size=bs,
                optimizer="sgd",
                epochs=10
            )

            experiment.log(f"Starting training with lr={lr}, bs={bs}")

            # Train
            final_accuracy = train_with_config(lr, bs, experiment)

            experiment.log(f"Final accuracy: {final_accuracy:.4f}")

            results.append({
                "lr": lr,
                "batch_size": bs,
                "accuracy": final_accuracy
            })

    # Find best configuration
    best = max(results, key=lambda x: x["accuracy"])

    print("\n" + "=" * 50)
    print("Hyperparameter Search Complete!")
    print("=" * 50)
    print(f"Best configuration:")
    print(f"  Learning rate: {best['lr']}")
    print(f"  Batch size: {best['batch_size']}")
    print(f"  Accuracy: {best['accuracy']:.4f}")
    print("\nAll experiments metriced separately in project:")
    print("  hyperparameter-search/")
    for r in results:
        print(f"    - search-lr{r['lr']}-bs{r['batch_size']}: {r['accuracy']:.4f}")

if __name__ == "__main__":
    hyperparameter_search()
