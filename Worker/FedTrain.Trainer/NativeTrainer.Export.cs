using FedTrain.Core.Data;
using FedTrain.Trainer.Native;

namespace FedTrain.Trainer;

/// <summary>Batch order, raw logits and export to PyTorch's file formats.</summary>
public sealed unsafe partial class NativeTrainer
{
    /// <summary>
    /// True (the default) reshuffles the examples every epoch; false takes them in dataset order, batch after batch
    /// (the last batch of an epoch may be short), so a training run can be reproduced step by step elsewhere.
    /// </summary>
    public bool Shuffle
    {
        get => _shuffle;
        set
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            ThrowOnError(NativeMethods.SetShuffle(_handle, value ? 1 : 0), "SetShuffle");
            _shuffle = value;
        }
    }

    /// <summary>The model's logits for every example in inference mode, row-major [count, <see cref="Classes"/>].</summary>
    public float[] Logits(ImageDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        CheckGeometry(data);
        var logits = new float[(long)data.Count * Classes];
        fixed (float* images = data.Images)
        fixed (float* output = logits)
        {
            ThrowOnError(NativeMethods.Logits(_handle, images, data.Count, output, logits.LongLength), "Logits");
        }

        return logits;
    }

    /// <summary>
    /// Writes the parameters and buffers as a PyTorch state dict (<c>torch.load</c> reads it as a dict of tensors
    /// named as the manifest names them).
    /// </summary>
    public void SaveStateDict(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        ThrowOnError(NativeMethods.SaveStateDict(_handle, path), "SaveStateDict");
    }

    /// <summary>Writes a TorchScript model, with its current weights, as an archive <c>torch.jit.load</c> reads.</summary>
    /// <exception cref="TrainerException">The model is not a TorchScript module.</exception>
    public void SaveTorchScript(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        ThrowOnError(NativeMethods.SaveTorchScript(_handle, path), "SaveTorchScript");
    }
}
