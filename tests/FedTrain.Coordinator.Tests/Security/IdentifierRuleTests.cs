using FedTrain.Coordinator.Security;

namespace FedTrain.Coordinator.Tests.Security;

/// <summary>The one rule for worker and client ids, which the gRPC edge and client grants both apply.</summary>
public sealed class IdentifierRuleTests
{
    [Theory]
    [InlineData("worker-1")]
    [InlineData("site_a.client-00001")]
    [InlineData("A")]
    public void Letters_digits_dashes_underscores_and_dots_pass(string id) =>
        Assert.Null(IdentifierRule.Problem(id, "worker_id"));

    [Theory]
    [InlineData(null, "worker_id is required.")]
    [InlineData("", "worker_id is required.")]
    [InlineData("a b", "worker_id must be 1-128 characters of letters, digits, '-', '_' or '.'.")]
    [InlineData("ünï", "worker_id must be 1-128 characters of letters, digits, '-', '_' or '.'.")]
    public void Anything_else_is_refused_with_the_field_named(string? id, string problem) =>
        Assert.Equal(problem, IdentifierRule.Problem(id, "worker_id"));

    [Fact]
    public void The_length_is_capped()
    {
        Assert.Null(IdentifierRule.Problem(new string('a', IdentifierRule.MaxLength), "client id"));
        Assert.StartsWith("client id must be", IdentifierRule.Problem(new string('a', IdentifierRule.MaxLength + 1), "client id"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_grant_refuses_an_invalid_id_with_the_rule_s_reason()
    {
        var refusal = Assert.Throws<ArgumentException>(() => ClientGrant.Explicit(["ok", "not ok"]));

        Assert.Equal("Invalid client id 'not ok': client id must be 1-128 characters of letters, digits, '-', '_' or '.'.", refusal.Message);
    }
}
