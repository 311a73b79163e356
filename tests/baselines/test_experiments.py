"""Registration of the baseline experiments and the protocol files that call them."""
import inspect
from pathlib import Path

import numpy as np
import pytest
import yaml

import neurosim.baselines  # noqa: F401  (registers the experiments)
from neurosim.errors import ParameterError
from neurosim.experiment import EXPERIMENTS, config_keys, experiment_function, run_experiment

NAMES = ["baseline_mlp_digits", "baseline_rnn_adding", "baseline_transformer_reverse", "baseline_vae_digits",
         "baseline_gan_mixture", "baseline_diffusion", "baseline_fgsm", "baseline_cnn_digits",
         "baseline_autoencoder_digits", "baseline_grammar_words"]
NEW = ["baseline_cnn_digits", "baseline_autoencoder_digits", "baseline_grammar_words", "baseline_adversarial"]
# protocols that call an experiment under another name
VARIANTS = {"baseline_adversarial_mlp": "baseline_adversarial", "baseline_adversarial_cnn": "baseline_adversarial"}
PROTOCOLS = Path(__file__).resolve().parents[2] / "protocols"


def test_all_baselines_registered_on_import():
    assert set(NAMES) <= set(EXPERIMENTS)


@pytest.mark.parametrize("name", NAMES)
def test_protocol_file_matches_experiment(name):
    protocol = yaml.safe_load((PROTOCOLS / f"{name}.yaml").read_text())
    assert protocol["name"] == protocol["experiment"] == name
    assert isinstance(protocol["seed"], int)
    assert protocol["description"]
    assert set(protocol["config"]) <= set(config_keys(name))


@pytest.mark.parametrize(("protocol_name", "name"), VARIANTS.items())
def test_variant_protocols_match_their_experiment(protocol_name, name):
    protocol = yaml.safe_load((PROTOCOLS / f"{protocol_name}.yaml").read_text())
    assert protocol["name"] == protocol_name
    assert protocol["experiment"] == name
    assert set(protocol["config"]) <= set(config_keys(name))


@pytest.mark.parametrize("name", NEW)
def test_new_experiments_have_typed_keyword_parameters_with_defaults(name):
    for key, parameter in inspect.signature(experiment_function(name)).parameters.items():
        if key not in ("seed", "progress"):
            assert parameter.annotation is not inspect.Parameter.empty, key
            assert parameter.default is not inspect.Parameter.empty, key


def test_small_autoencoder_experiment_runs():
    out = run_experiment("baseline_autoencoder_digits", {"latents": [4], "hidden": [16], "epochs": 2,
                                                         "vae_epochs": 1, "vae_hidden": 8, "shown_latent": 4},
                         seed=0)
    errors = [out.metrics[f"{name}_test_mse_latent4"] for name in ("autoencoder", "tied_autoencoder", "vae", "pca")]
    # predicting each pixel's mean gives about 0.11; PCA with 4 components about 0.038
    assert all(0 < e < 0.2 for e in errors)
    assert out.figures["autoencoder_digits"].axes[0].get_ylabel()


def test_experiment_output_has_labelled_figure():
    out = run_experiment("baseline_fgsm", {"epochs": 3, "epsilons": [0.0, 0.1]}, seed=0)
    assert out.metrics["accuracy_eps_0"] > out.metrics["accuracy_eps_0.1"]
    np.testing.assert_array_equal(out.curves["epsilon"], [0.0, 0.1])
    ax = out.figures["fgsm_accuracy"].axes[0]
    assert ax.get_xlabel()
    assert ax.get_ylabel()


def test_unknown_config_key_rejected():
    with pytest.raises(ParameterError, match="did you mean 'learning_rate'"):
        run_experiment("baseline_mlp_digits", {"learning_rat": 0.1}, seed=0)
