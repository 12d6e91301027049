using System.Data.Common;

namespace FedTrain.Coordinator.Storage;

/// <summary>Provider-neutral parameter binding: both providers accept <c>@name</c> placeholders.</summary>
internal static class DbParameters
{
    public static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }
}
