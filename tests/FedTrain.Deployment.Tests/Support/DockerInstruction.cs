namespace FedTrain.Deployment.Tests.Support;

/// <summary>One Dockerfile instruction, e.g. ("COPY", "--from=native /build/lib.so /opt/").</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments);
