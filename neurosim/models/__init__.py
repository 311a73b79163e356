"""Model files shipped with neurosim: neuron models (``neurons/*.yaml``) and synapse models
(``synapses/*.yaml``) defined by equations; registered by :mod:`neurosim.core.neurons.equation`."""
