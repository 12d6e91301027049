namespace FedTrain.Coordinator.Hosting.LiveView;

/// <summary>One static file of the live page.</summary>
/// <param name="Content">The bytes served.</param>
/// <param name="ContentType">The Content-Type header.</param>
/// <param name="ETag">A quoted hash of the content.</param>
internal sealed record WebAsset(byte[] Content, string ContentType, string ETag);
