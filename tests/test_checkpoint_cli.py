"""``neurosim run --checkpoint-every`` killed with SIGKILL, then ``neurosim resume``: the results equal
those of an uninterrupted run, bit for bit."""
from __future__ import annotations

import signal
import subprocess
import time

import numpy as np
import pytest

from neurosim import io

pytestmark = pytest.mark.slow  # the console script end to end


@pytest.mark.slow
def test_killed_run_resumes_bit_identically(small_protocol, neurosim, neurosim_command):

    folder = small_protocol.parent
    common = ["--set", "duration=1 s", "--quiet"]
    whole = neurosim("run", small_protocol, "-o", folder / "whole", *common, cwd=folder, timeout=300)
    assert whole.returncode == 0, whole.stderr
    killed = folder / "killed"
    process = subprocess.Popen([str(neurosim_command), "run", str(small_protocol), "-o", str(killed), *common,
                                "--checkpoint-every", "100 ms"], cwd=folder, stderr=subprocess.PIPE, text=True)
    try:
        while not (killed / "checkpoint.npz").exists() and process.poll() is None:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        process.kill()
    assert process.returncode == -signal.SIGKILL  # killed mid-run, after its first checkpoint
    assert not (killed / "results.h5").exists()
    resumed = neurosim("resume", killed, "--quiet", cwd=folder, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    first, second = io.load(folder / "whole" / "results.h5"), io.load(killed / "results.h5")
    assert second.complete
    assert second.duration == first.duration
    for name in ("E", "I"):
        np.testing.assert_array_equal(second.spikes[name].node_ids, first.spikes[name].node_ids)
        np.testing.assert_array_equal(second.spikes[name].times, first.spikes[name].times)
    np.testing.assert_array_equal(second.states["E"]["v"].data, first.states["E"]["v"].data)
    np.testing.assert_array_equal(second.states["I"]["syn_exc"].data, first.states["I"]["syn_exc"].data)
    np.testing.assert_array_equal(second.rates["E"].rate, first.rates["E"].rate)
    assert len(first.spikes["E"].times) > 1000


def test_resume_of_a_directory_without_checkpoint_is_a_clear_error(neurosim, tmp_path):
    done = neurosim("resume", tmp_path)
    assert done.returncode == 2
    assert "not the output of 'neurosim run --checkpoint-every'" in done.stderr
    assert "Traceback" not in done.stderr
