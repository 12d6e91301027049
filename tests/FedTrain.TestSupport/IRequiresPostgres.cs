namespace FedTrain.TestSupport;

/// <summary>Marks a test class whose <see cref="BackendFactAttribute"/> tests need the PostgreSQL server.</summary>
public interface IRequiresPostgres;
