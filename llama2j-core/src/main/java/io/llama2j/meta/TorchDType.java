package io.llama2j.meta;

import io.llama2j.tensor.GgmlType;

/** Element types of the PyTorch storages llama2j reads and writes, with the storage class torch.save names. */
enum TorchDType {
    F32("torch.FloatStorage", GgmlType.F32, 4),
    F16("torch.HalfStorage", GgmlType.F16, 2),
    BF16("torch.BFloat16Storage", GgmlType.BF16, 2);

    final String storageClass;
    final GgmlType ggmlType;
    final int bytes;

    TorchDType(String storageClass, GgmlType ggmlType, int bytes) {
        this.storageClass = storageClass;
        this.ggmlType = ggmlType;
        this.bytes = bytes;
    }

    static TorchDType of(GgmlType type) {
        for (TorchDType d : values()) if (d.ggmlType == type) return d;
        throw new IllegalArgumentException("PyTorch checkpoints hold F32, F16 or BF16 tensors, not " + type);
    }
}
