using System.Reflection;
using FedTrain.Coordinator.Grpc;
using FedTrain.Coordinator.Rounds;

namespace FedTrain.Coordinator.Tests.Architecture;

/// <summary>
/// The round logic (FedTrain.Coordinator) is a library free of transport types: no ASP.NET Core, gRPC or protobuf
/// assembly among its references and no such type in any of its members' signatures. Proto types stop at the edge,
/// FedTrain.Coordinator.Hosting (docs/architecture.md).
/// </summary>
public sealed class RoundLogicDependencyTests
{
    private const BindingFlags Declared =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Assembly RoundLogic = typeof(RoundOrchestrator).Assembly;

    [Fact]
    public void The_round_logic_references_no_transport_assembly()
    {
        var references = RoundLogic.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.Contains("FedTrain.Core", references);
        Assert.DoesNotContain(references, IsTransport);
    }

    [Fact]
    public void No_type_of_the_round_logic_exposes_a_transport_type()
    {
        var exposed = RoundLogic.GetTypes()
            .SelectMany(type => SignatureTypes(type).Select(used => (Where: type.FullName, Used: used)))
            .Where(use => IsTransport(use.Used.Assembly.GetName().Name!))
            .Select(use => $"{use.Where} uses {use.Used.FullName}")
            .Distinct(StringComparer.Ordinal)
            .ToList();

        Assert.Empty(exposed);
    }

    [Fact]
    public void The_rule_flags_the_edge()
    {
        // Against the hosting project, the same checks find plenty: they would catch a transport reference added here.
        var edge = typeof(CoordinatorGrpcService).Assembly;

        Assert.Contains(edge.GetReferencedAssemblies(), a => a.Name is "FedTrain.Protos");
        Assert.Contains(edge.GetReferencedAssemblies(), a => IsTransport(a.Name!));
        Assert.Contains(edge.GetTypes().SelectMany(SignatureTypes), used => IsTransport(used.Assembly.GetName().Name!));
    }

    [Theory]
    [InlineData("Grpc.Core.Api", true)]
    [InlineData("Grpc.AspNetCore.Server", true)]
    [InlineData("Google.Protobuf", true)]
    [InlineData("FedTrain.Protos", true)]
    [InlineData("FedTrain.Coordinator.Hosting", true)]
    [InlineData("Microsoft.AspNetCore.Http.Abstractions", true)]
    [InlineData("OpenTelemetry.Instrumentation.AspNetCore", true)]
    [InlineData("FedTrain.Core", false)]
    [InlineData("Microsoft.Extensions.Logging.Abstractions", false)]
    [InlineData("System.Runtime", false)]
    public void Transport_assemblies_are_recognised_by_name(string name, bool transport) =>
        Assert.Equal(transport, IsTransport(name));

    private static bool IsTransport(string assembly) =>
        assembly.StartsWith("Grpc.", StringComparison.Ordinal)
        || assembly is "Google.Protobuf" or "FedTrain.Protos" or "FedTrain.Coordinator.Hosting"
        || assembly.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
        || assembly.Contains(".AspNetCore", StringComparison.Ordinal);

    /// <summary>Every type named in <paramref name="type"/>'s declaration and its members' signatures, private ones included.</summary>
    private static IEnumerable<Type> SignatureTypes(Type type)
    {
        IEnumerable<Type> named = [.. type.GetInterfaces(), .. type.GetCustomAttributes(inherit: false).Select(a => a.GetType())];
        if (type.BaseType is { } baseType)
        {
            named = named.Append(baseType);
        }

        foreach (var member in type.GetMembers(Declared))
        {
            named = named.Concat(member switch
            {
                FieldInfo field => [field.FieldType],
                PropertyInfo property => [property.PropertyType],
                EventInfo @event => @event.EventHandlerType is { } handler ? [handler] : [],
                MethodInfo method => [method.ReturnType, .. method.GetParameters().Select(p => p.ParameterType)],
                ConstructorInfo constructor => constructor.GetParameters().Select(p => p.ParameterType),
                _ => [],
            });
        }

        return named.SelectMany(Unwrap);
    }

    /// <summary>A type with the types it is made of: array and by-ref element types, generic arguments.</summary>
    private static IEnumerable<Type> Unwrap(Type type)
    {
        yield return type;
        if (type.HasElementType)
        {
            foreach (var inner in Unwrap(type.GetElementType()!))
            {
                yield return inner;
            }
        }

        if (type.IsGenericType)
        {
            foreach (var inner in type.GetGenericArguments().SelectMany(Unwrap))
            {
                yield return inner;
            }
        }
    }
}
