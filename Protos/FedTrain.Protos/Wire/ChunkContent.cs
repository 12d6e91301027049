namespace FedTrain.Protos.Wire;

/// <summary>
/// Which member of a chunk message's <c>oneof content { Header header = 1; bytes data = 2; }</c> is set; the values
/// are the field numbers, as in the generated <c>ContentOneofCase</c> enums of <c>ModelChunk</c> and <c>UpdateChunk</c>.
/// </summary>
public enum ChunkContent
{
    None = 0,
    Header = 1,
    Data = 2,
}
