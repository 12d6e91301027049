using System.CommandLine;
using FedTrain.Coordinator;
using FedTrain.Cli.Logging;
using FedTrain.Coordinator.Cluster;
using FedTrain.Coordinator.Hosting;
using FedTrain.Coordinator.Storage;
using Microsoft.Extensions.Logging;

namespace FedTrain.Cli.Commands;

/// <summary><c>fedtrain coordinator</c>: serve a run to workers that connect over gRPC.</summary>
internal static class CoordinatorCommand
{
    public static Command Create()
    {
        var grpcPort = new Option<int?>("--grpc-port") { Description = "gRPC port for workers (default 50051)." };
        var httpPort = new Option<int?>("--http-port") { Description = "HTTP port for status and health (default 8080)." };
        var bind = new Option<string?>("--bind") { Description = "Address to bind (default 0.0.0.0)." };
        var config = new Option<FileInfo?>("--config") { Description = "JSON configuration file; flags override it." };
        var runDir = new Option<string?>("--run-dir") { Description = "Folder for the database, checkpoints and summary.json." };
        var minWorkers = new Option<int?>("--min-workers") { Description = "Workers to wait for before round 1." };
        var clusterMembership = new Option<string?>("--cluster")
        {
            Description = "PostgreSQL database (postgres://...) where coordinator nodes find each other and form one cluster; the run is led by one node and resumes on another when it dies. Needs --database postgres://... too. Default: a cluster of one.",
        };
        var clusterId = new Option<string?>("--cluster-id") { Description = "Names the cluster in its database (default fedtrain)." };
        var siloPort = new Option<int?>("--silo-port") { Description = "Port the nodes of a cluster talk to each other on (default 11111)." };
        var siloAddress = new Option<string?>("--silo-address") { Description = "Address the other nodes reach this one at (default: --bind, or this host's IPv4 address)." };
        var kubernetes = new Option<bool>("--kubernetes") { Description = "This node runs in a Kubernetes pod (with --cluster): name the silo after the pod, advertise POD_IP and watch the coordinator pods (see docs/deployment.md)." };
        var siloTlsCert = new Option<string?>("--silo-tls-cert") { Description = "This node's certificate (PEM, server and client authentication) for mutual TLS between the nodes of a cluster." };
        var siloTlsKey = new Option<string?>("--silo-tls-key") { Description = "The key of --silo-tls-cert (PEM)." };
        var siloTlsCa = new Option<string?>("--silo-tls-ca") { Description = "The CA every node's certificate must chain to (PEM); only it is trusted." };
        var intakePort = new Option<int?>("--intake-port")
        {
            Description = "In a cluster, receive uploads for the leading node on this port (0: a free one): the leader spreads each round's workers over the nodes with an intake port and collects each node's partial sum at the round's close. Default: none.",
        };
        var intakeAddress = new Option<string?>("--intake-address") { Description = "Where workers reach this node's intake port (default: the worker port's scheme, --silo-address and --intake-port)." };
        var flags = new CoordinatorFlags();
        var command = new Command("coordinator", "Run a coordinator that trains a global model with the workers that connect.");
        foreach (var option in new Option[] { grpcPort, httpPort, bind, config, runDir, minWorkers, clusterMembership, clusterId, siloPort, siloAddress, kubernetes, siloTlsCert, siloTlsKey, siloTlsCa, intakePort, intakeAddress })
        {
            command.Options.Add(option);
        }

        flags.AddTo(command);
        var dataFlags = new DataFlags();
        dataFlags.AddTo(command, withSplit: true);
        var security = new SecurityFlags();
        security.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new CoordinatorOptions();
            if (parse.GetValue(config) is { } file)
            {
                CoordinatorConfigFile.Load(file.FullName).ApplyTo(options);
            }

            options.GrpcPort = parse.GetValue(grpcPort) ?? options.GrpcPort;
            options.HttpPort = parse.GetValue(httpPort) ?? options.HttpPort;
            options.BindAddress = parse.GetValue(bind) ?? options.BindAddress;
            options.RunDirectory = parse.GetValue(runDir) ?? options.RunDirectory;
            options.MinWorkers = parse.GetValue(minWorkers) ?? options.MinWorkers;
            flags.Apply(parse, options);
            ApplyTestData(parse, dataFlags, options);
            security.Apply(parse, options);
            options.Validate();
            var cluster = new ClusterSettings
            {
                Membership = parse.GetValue(clusterMembership),
                ClusterId = parse.GetValue(clusterId) ?? "fedtrain",
                SiloPort = parse.GetValue(siloPort),
                AdvertisedAddress = parse.GetValue(siloAddress),
                Kubernetes = parse.GetValue(kubernetes),
                TlsCertificateFile = parse.GetValue(siloTlsCert),
                TlsKeyFile = parse.GetValue(siloTlsKey),
                TlsCaFile = parse.GetValue(siloTlsCa),
                IntakePort = parse.GetValue(intakePort),
                IntakeAddress = parse.GetValue(intakeAddress),
            };
            cluster.Validate(options);

            using var loggerFactory = LoggerFactory.Create(builder => builder.AddFedTrainDefaults().AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            }));
            await using var node = await CoordinatorNode.StartAsync(options, cluster, loggerFactory, cancellationToken);
            try
            {
                // A cluster of one leads at once; a node of a larger cluster may stand by until the leader goes.
                if (await Task.WhenAny(node.Leadership.Started, node.Completion).WaitAsync(cancellationToken) == node.Leadership.Started)
                {
                    Announce(await node.Leadership.Started, options);
                }

                var outcome = await node.Completion.WaitAsync(cancellationToken);
                return Outcome(node, outcome);
            }
            catch (OperationCanceledException)
            {
                Console.WriteLine("Stopping; committed rounds are kept and the run resumes on restart.");
                return node.Leadership.Host?.Orchestrator is { IsFinished: true, HasFailed: false } ? 0 : 1;
            }
        });
        return command;
    }

    private static void Announce(CoordinatorHost host, CoordinatorOptions options)
    {
        Console.WriteLine($"Coordinator listening: gRPC {options.BindAddress}:{host.GrpcPort}, HTTP {options.BindAddress}:{host.HttpPort}; run {host.Orchestrator.RunId} in {options.RunDirectory}");
        if (options.Privacy is { } privacy)
        {
            foreach (string line in PrivacyPlan.Describe(privacy, host.Orchestrator.Manifest.TotalElements, options.FractionEvaluate > 0, options.Rounds))
            {
                Console.WriteLine(line);
            }
        }

        if (host.OperatorTokenPath is { } tokenPath)
        {
            Console.WriteLine($"Operator token for the HTTP API: {tokenPath}");
        }
    }

    /// <summary>The exit code: 0 for a run that ended well, here or on another node; 3 for a node that lost the run to another; 1 otherwise.</summary>
    private static int Outcome(CoordinatorNode node, RunLeadershipState outcome)
    {
        switch (node.Leadership.Failure)
        {
            case { } startFailure when node.Leadership.FailedToStart:
                // Reported as any start error (bad options or data, a port in use), by the command line's handler.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(startFailure);
                return 1;
            case RunFencedException fenced:
                // Not a failure of the run: it goes on at the node that took it over.
                Console.Error.WriteLine($"fedtrain: stopped: {fenced.Message} The run goes on there.");
                return 3;
            case { } failure:
                Console.Error.WriteLine($"fedtrain: the run failed: {failure.Message}");
                return 1;
        }

        if (node.Leadership.Interrupted)
        {
            Console.WriteLine("Stopping; committed rounds are kept and the run resumes on restart.");
            return 1;
        }

        if (node.Leadership.Host is null)
        {
            Console.WriteLine("The run finished on another node.");
        }

        return outcome == RunLeadershipState.Finished ? 0 : 1;
    }

    /// <summary>
    /// A test set that is not IDX or text (an image folder, a table, arrays) is read like a worker's data, with the run's
    /// class names; the IDX and text test sets keep their own loader.
    /// </summary>
    private static void ApplyTestData(ParseResult parse, DataFlags dataFlags, CoordinatorOptions options)
    {
        options.ClassNames = dataFlags.Classes(parse) ?? options.ClassNames;
        options.ImageNormalization = dataFlags.Normalization(parse) ?? options.ImageNormalization;
        var source = dataFlags.Read(parse, options.TestDataDirectory, options.Seed);
        options.FeatureNames = source.FeatureColumns ?? options.FeatureNames;
        if (source.Format is null && !Path.Exists(options.TestDataDirectory))
        {
            return; // the IDX loader's message names what to install or pass
        }

        var format = source.Format ?? Core.Data.Formats.DataFormats.Detect(options.TestDataDirectory, options.Model.IsLanguageModel);
        if (format is not (Core.Data.Formats.DataFormat.Idx or Core.Data.Formats.DataFormat.Text))
        {
            options.TestDataSource = source with { Format = format };
        }
    }
}
