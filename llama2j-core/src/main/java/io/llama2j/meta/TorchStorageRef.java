package io.llama2j.meta;

/** A persistent-id reference from data.pkl to the storage in zip entry {@code <archive>/data/<key>}. */
record TorchStorageRef(String key, TorchDType dtype, long numel) {}
