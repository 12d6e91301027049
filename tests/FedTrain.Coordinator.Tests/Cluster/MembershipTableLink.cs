using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FedTrain.Coordinator.Tests.Cluster;

/// <summary>
/// One silo's way to the membership table the in-process cluster shares, which a test cuts to crash the silo: a
/// silo the test cluster kills still marks itself dead in the table on its way out, so the others would hear of its
/// death at once, where a crashed process says nothing and must be found dead by the others' probes.
/// </summary>
internal sealed class MembershipTableLink(IMembershipTable table) : IMembershipTable
{
    private volatile bool _cut;

    /// <summary>From now on this silo reaches the table no more, as if its process had died.</summary>
    public void Cut() => _cut = true;

    /// <summary>
    /// Puts a link in front of the table that the test cluster gives the silo. The cluster registers its table after
    /// every configuration delegate has run, so only the container's factory, which runs last, can wrap it.
    /// </summary>
    public static void Insert(IHostApplicationBuilder host) => host.ConfigureContainer(new Factory());

    public Task InitializeMembershipTableAsync(bool tryInitTableVersion, CancellationToken cancellationToken) =>
        Reach().InitializeMembershipTableAsync(tryInitTableVersion, cancellationToken);

    public Task DeleteMembershipTableEntriesAsync(string clusterId, CancellationToken cancellationToken) =>
        Reach().DeleteMembershipTableEntriesAsync(clusterId, cancellationToken);

    public Task CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken) =>
        Reach().CleanupDefunctSiloEntriesAsync(beforeDate, cancellationToken);

    public Task<MembershipTableData> ReadRowAsync(SiloAddress key, CancellationToken cancellationToken) => Reach().ReadRowAsync(key, cancellationToken);

    public Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken) => Reach().ReadAllAsync(cancellationToken);

    public Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken) =>
        Reach().InsertRowAsync(entry, tableVersion, cancellationToken);

    public Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken) =>
        Reach().UpdateRowAsync(entry, etag, tableVersion, cancellationToken);

    public Task UpdateIAmAliveAsync(MembershipEntry entry, CancellationToken cancellationToken) => Reach().UpdateIAmAliveAsync(entry, cancellationToken);

    // The interface's older members, which Orleans 10 no longer calls but which must still be implemented.
    public Task InitializeMembershipTable(bool tryInitTableVersion) => InitializeMembershipTableAsync(tryInitTableVersion, CancellationToken.None);

    public Task DeleteMembershipTableEntries(string clusterId) => DeleteMembershipTableEntriesAsync(clusterId, CancellationToken.None);

    public Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate) => CleanupDefunctSiloEntriesAsync(beforeDate, CancellationToken.None);

    public Task<MembershipTableData> ReadRow(SiloAddress key) => ReadRowAsync(key, CancellationToken.None);

    public Task<MembershipTableData> ReadAll() => ReadAllAsync(CancellationToken.None);

    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion) => InsertRowAsync(entry, tableVersion, CancellationToken.None);

    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion) =>
        UpdateRowAsync(entry, etag, tableVersion, CancellationToken.None);

    public Task UpdateIAmAlive(MembershipEntry entry) => UpdateIAmAliveAsync(entry, CancellationToken.None);

    private IMembershipTable Reach() => _cut ? throw new OrleansException("This silo crashed: it reaches the membership table no more.") : table;

    private sealed class Factory : IServiceProviderFactory<IServiceCollection>
    {
        public IServiceCollection CreateBuilder(IServiceCollection services)
        {
            var shared = services.Last(service => service.ServiceType == typeof(IMembershipTable));
            var table = (IMembershipTable)(shared.ImplementationInstance
                ?? throw new InvalidOperationException("The test cluster no longer registers its membership table as an instance."));
            services.Remove(shared);
            services.AddSingleton(new MembershipTableLink(table));
            services.AddSingleton<IMembershipTable>(provider => provider.GetRequiredService<MembershipTableLink>());
            return services;
        }

        public IServiceProvider CreateServiceProvider(IServiceCollection containerBuilder) => containerBuilder.BuildServiceProvider();
    }
}
