using FedTrain.Coordinator.Security;
using FedTrain.Coordinator.Storage;
using Grpc.Core;

namespace FedTrain.Coordinator.Tests.Security;

/// <summary>
/// Bad credentials against the real authenticator over a real SQLite store: how many reach the store, what the
/// callers are told, what is logged, and that an issued credential is never throttled by its neighbours.
/// </summary>
public sealed class AuthenticationThrottleTests : IDisposable
{
    private const string Attacker = "ipv4:10.9.8.7:5000";
    private const string Neighbour = "ipv4:10.9.8.7:5001";

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"auth-{Guid.NewGuid():N}.db");
    private readonly SqliteCoordinatorStore _sqlite;
    private readonly CountingCredentialStore _store;
    private readonly ManualClock _clock = new();
    private readonly LogLines _log = new();
    private readonly RefusalLog _refusals;

    public AuthenticationThrottleTests()
    {
        _sqlite = new SqliteCoordinatorStore(_path);
        _store = new CountingCredentialStore(_sqlite);
        _refusals = new RefusalLog(_log.CreateLogger<RefusalLog>(), _clock, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Invented_credentials_reach_the_store_only_within_the_addresss_allowance_and_the_caller_is_told_to_slow_down()
    {
        var authenticator = await CreateAsync(new LimitOptions { FailedAuthBurst = 20, FailedAuthPerSecond = 0.001 });

        var statuses = await Repeat(1000, () => authenticator.AuthenticateWorkerAsync(Bearer(SecretToken.Create(SecretToken.CredentialKind)), Attacker));

        Assert.Equal(20, _store.Lookups);
        Assert.Equal(20, statuses.Count(s => s == StatusCode.Unauthenticated));
        Assert.Equal(980, statuses.Count(s => s == StatusCode.ResourceExhausted));
    }

    [Fact]
    public async Task An_unknown_credential_presented_again_is_refused_without_a_lookup()
    {
        var authenticator = await CreateAsync(new LimitOptions());
        string invented = Bearer(SecretToken.Create(SecretToken.CredentialKind));

        var statuses = await Repeat(500, () => authenticator.AuthenticateWorkerAsync(invented, Attacker));

        Assert.Equal(1, _store.Lookups);
        Assert.All(statuses, s => Assert.Equal(StatusCode.Unauthenticated, s));
    }

    [Fact]
    public async Task An_issued_credential_passes_while_its_address_is_throttled_and_a_revoked_one_is_still_refused()
    {
        var valid = await IssueAsync("worker-1");
        var revoked = await IssueAsync("worker-2");
        await _sqlite.RevokeWorkerAsync("worker-2", DateTimeOffset.UtcNow);
        var authenticator = await CreateAsync(new LimitOptions { FailedAuthBurst = 5, FailedAuthPerSecond = 0.001 });
        for (int i = 0; i < 50; i++)
        {
            await Status(() => authenticator.AuthenticateWorkerAsync(Bearer(SecretToken.Create(SecretToken.CredentialKind)), Attacker));
        }

        Assert.Equal("worker-1", await authenticator.AuthenticateWorkerAsync(Bearer(valid), Neighbour));
        Assert.Equal(StatusCode.ResourceExhausted, await Status(() => authenticator.AuthenticateWorkerAsync(Bearer(revoked), Neighbour)));
        // A credential enrolled after start is known at once, too.
        string token = (await EnrollmentIssuer.IssueAsync(_sqlite, "worker-3", TimeSpan.FromHours(1), _clock)).Token;
        var enrolled = await authenticator.EnrollAsync("Bearer " + token, "worker-3", Neighbour);
        Assert.Equal("worker-3", await authenticator.AuthenticateWorkerAsync("Bearer " + enrolled.Token, Neighbour));
    }

    [Fact]
    public async Task Refusals_are_logged_once_per_address_per_interval_with_a_count()
    {
        var authenticator = await CreateAsync(new LimitOptions());
        string invented = Bearer(SecretToken.Create(SecretToken.CredentialKind));

        for (int i = 0; i < 300; i++)
        {
            await Status(() => authenticator.AuthenticateWorkerAsync(invented, Attacker));
            await Status(() => authenticator.AuthenticateWorkerAsync(null, Attacker));
        }

        _refusals.Flush();
        _refusals.Flush(); // a quiet interval: nothing more is logged and the address is forgotten

        Assert.Equal(2, _log.Lines.Count);
        Assert.Contains("Refused a call from ipv4:10.9.8.7:5000 (worker -): unknown credential", _log.Lines[0], StringComparison.Ordinal);
        Assert.Contains("Refused 599 more calls of 10.9.8.7 in the last 10 s: no credential ×300, unknown credential (remembered) ×299", _log.Lines[1], StringComparison.Ordinal);
        await Status(() => authenticator.AuthenticateWorkerAsync(null, Attacker));
        Assert.Equal(3, _log.Lines.Count);
    }

    [Fact]
    public void Refusals_spread_over_very_many_addresses_are_counted_together_beyond_ten_thousand()
    {
        int loggedAtOnce = Enumerable.Range(0, 10_500).Count(i => _refusals.Admit($"10.{i / 65536}.{i / 256 % 256}.{i % 256}", "unknown credential"));
        _refusals.Flush();

        Assert.Equal(10_000, loggedAtOnce);
        Assert.Contains(_log.Lines, l => l.Contains("Refused 500 more calls of other callers", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Idle_addresses_are_forgotten()
    {
        var authenticator = await CreateAsync(new LimitOptions { IdleCallerSeconds = 60 });
        foreach (int i in Enumerable.Range(0, 100))
        {
            await Status(() => authenticator.AuthenticateWorkerAsync(Bearer(SecretToken.Create(SecretToken.CredentialKind)), $"ipv4:10.0.0.{i}:4000"));
        }

        Assert.Equal(100, authenticator.TrackedAddresses);
        _clock.Advance(TimeSpan.FromSeconds(61));
        await Status(() => authenticator.AuthenticateWorkerAsync(Bearer(SecretToken.Create(SecretToken.CredentialKind)), "ipv4:10.0.1.1:4000"));

        Assert.Equal(1, authenticator.TrackedAddresses);
    }

    [Theory]
    [InlineData("ipv4:10.0.0.5:41234", "10.0.0.5")]
    [InlineData("ipv6:[::1]:41234", "::1")]
    [InlineData("unknown", "unknown")]
    public void The_address_of_a_peer_drops_its_scheme_and_port(string peer, string address) =>
        Assert.Equal(address, WorkerAuthenticator.AddressOf(peer));

    public void Dispose()
    {
        _refusals.Dispose();
        _sqlite.Dispose();
        File.Delete(_path);
    }

    private static string Bearer(IssuedToken token) => "Bearer " + token.Token;

    private static async Task<StatusCode?> Status(Func<Task> call)
    {
        try
        {
            await call();
            return null;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }

    /// <summary>Makes <paramref name="times"/> calls one after another; their statuses in order.</summary>
    private static async Task<List<StatusCode?>> Repeat(int times, Func<Task> call)
    {
        var statuses = new List<StatusCode?>(times);
        for (int i = 0; i < times; i++)
        {
            statuses.Add(await Status(call));
        }

        return statuses;
    }

    private Task<WorkerAuthenticator> CreateAsync(LimitOptions limits) =>
        WorkerAuthenticator.CreateAsync(_store, _ => ValueTask.FromResult("run-1"), limits, _refusals, _clock, _log.CreateLogger<WorkerAuthenticator>());

    private async Task<IssuedToken> IssueAsync(string workerId)
    {
        var token = SecretToken.Create(SecretToken.CredentialKind);
        await _sqlite.AddCredentialAsync(new CredentialRecord(token.Id, workerId, "run-1", token.SecretHash, DateTimeOffset.UtcNow, null));
        return token;
    }
}
