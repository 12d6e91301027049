namespace FedTrain.Core.Robust;

/// <summary>What Krum chose and why.</summary>
/// <param name="Selected">Indices of the chosen updates, best score first (ties broken by lower index).</param>
/// <param name="Scores">Krum score of every update, by index: the sum of its squared L2 distances to its n − f − 2
/// nearest other updates. Lower is more central.</param>
public sealed record KrumSelection(IReadOnlyList<int> Selected, IReadOnlyList<double> Scores);
