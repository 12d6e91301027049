namespace FedTrain.Coordinator.Storage;

/// <summary>One step of the schema: applied once, in version order, and recorded in <c>schema_migrations</c>.</summary>
/// <param name="Version">1, 2, ...; never reused or renumbered once released.</param>
/// <param name="Description">What the step adds, recorded with it.</param>
/// <param name="Sql">The DDL, in the store's dialect.</param>
public sealed record SchemaMigration(int Version, string Description, string Sql);
