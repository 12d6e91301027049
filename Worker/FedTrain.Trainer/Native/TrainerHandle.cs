using Microsoft.Win32.SafeHandles;

namespace FedTrain.Trainer.Native;

/// <summary>Owns an <c>ft_trainer*</c>; the marshaller keeps it alive for the duration of every call that uses it.</summary>
internal sealed class TrainerHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public TrainerHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.Destroy(handle);
        return true;
    }
}
