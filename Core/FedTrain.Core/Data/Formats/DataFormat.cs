namespace FedTrain.Core.Data.Formats;

/// <summary>The layouts a data owner's <c>--data</c> may have.</summary>
public enum DataFormat
{
    /// <summary>A folder of IDX files (<c>train-images-idx3-ubyte[.gz]</c> and labels), MNIST's format.</summary>
    Idx,

    /// <summary>An image folder tree <c>DIR/&lt;class&gt;/*.png|jpg|jpeg|bmp|webp</c> (torchvision's ImageFolder).</summary>
    Images,

    /// <summary>A CSV or TSV file with a header row.</summary>
    Csv,

    /// <summary>An Apache Parquet file.</summary>
    Parquet,

    /// <summary>A folder of UTF-8 text files, for the language model.</summary>
    Text,

    /// <summary>A folder holding <c>x.npy</c> and <c>y.npy</c>.</summary>
    Npy,

    /// <summary>A safetensors file holding tensors <c>x</c> and <c>y</c>.</summary>
    Safetensors,
}
