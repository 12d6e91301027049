namespace FedTrain.Rpc.Tests.Wire;

public sealed class StatusMappingTests
{
    [Theory]
    [InlineData(400, StatusCode.Internal)]
    [InlineData(401, StatusCode.Unauthenticated)]
    [InlineData(403, StatusCode.PermissionDenied)]
    [InlineData(404, StatusCode.Unimplemented)]
    [InlineData(429, StatusCode.Unavailable)]
    [InlineData(502, StatusCode.Unavailable)]
    [InlineData(503, StatusCode.Unavailable)]
    [InlineData(504, StatusCode.Unavailable)]
    [InlineData(431, StatusCode.Internal)]
    [InlineData(200, StatusCode.Unknown)]
    [InlineData(500, StatusCode.Unknown)]
    [InlineData(302, StatusCode.Unknown)]
    public void Maps_http_status_per_the_grpc_table(int http, StatusCode expected)
    {
        Assert.Equal(expected, StatusMapping.FromHttpStatus(http));
    }

    [Theory]
    [InlineData(0x7L, StatusCode.Unavailable)]
    [InlineData(0x8L, StatusCode.Cancelled)]
    [InlineData(0xBL, StatusCode.ResourceExhausted)]
    [InlineData(0xCL, StatusCode.PermissionDenied)]
    [InlineData(0x1L, StatusCode.Internal)]
    [InlineData(0x2L, StatusCode.Internal)]
    public void Maps_http2_error_codes(long code, StatusCode expected)
    {
        Assert.Equal(expected, StatusMapping.FromHttp2ErrorCode(code));
    }

    [Theory]
    [InlineData("0", StatusCode.OK)]
    [InlineData("16", StatusCode.Unauthenticated)]
    [InlineData("17", StatusCode.Unknown)]
    [InlineData("-1", StatusCode.Unknown)]
    [InlineData("abc", StatusCode.Unknown)]
    [InlineData("", StatusCode.Unknown)]
    [InlineData(null, StatusCode.Unknown)]
    public void Parses_grpc_status(string? value, StatusCode expected)
    {
        Assert.Equal(expected, StatusMapping.ParseStatus(value));
    }

    [Fact]
    public void Formats_without_leading_zeros()
    {
        Assert.Equal("0", StatusMapping.Format(StatusCode.OK));
        Assert.Equal("14", StatusMapping.Format(StatusCode.Unavailable));
    }
}
