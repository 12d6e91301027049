namespace FedTrain.Core.Compression;

/// <summary>
/// How the values of an uploaded update are encoded on the wire and in the coordinator's spool file. The layouts
/// are given by <see cref="EncodedLayout"/>; docs/compression.md explains them.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The members are named after the number formats they encode to.")]
public enum UpdateEncoding
{
    /// <summary>P little-endian float32 values: no compression (the default).</summary>
    Float32 = 0,

    /// <summary>P little-endian IEEE 754 half-precision values: half the bytes, about 3 significant digits.</summary>
    Float16 = 1,

    /// <summary>
    /// Symmetric 8-bit quantisation with one float32 scale per block of <see cref="EncodedLayout.Int8BlockSize"/>
    /// values: all block scales first, then the P signed bytes. About a quarter of the bytes.
    /// </summary>
    Int8 = 2,

    /// <summary>
    /// Top-k sparsification: in each block of <see cref="EncodedLayout.TopKBlockSize"/> values only the m largest in
    /// magnitude are sent, as their offsets in the block (uint16) and float32 values; the rest decode to zero.
    /// </summary>
    TopK = 3,
}
