namespace FedTrain.Privacy;

/// <summary>
/// Grids of Rényi orders α at which RDP is tracked. ε is the minimum over the grid, so a grid only has to contain
/// an order near the optimum; the optimum moves to small α for large ε and to large α for small ε.
/// </summary>
public static class RdpOrders
{
    /// <summary>
    /// Google dp_accounting's <c>DEFAULT_RDP_ORDERS</c>: 1.1, 1.2, …, 10.9, then 11, 12, …, 63, then 128, 256, 512, 1024
    /// (156 orders). Our default: the orders above 63 keep ε tight for large noise or few steps.
    /// </summary>
    public static IReadOnlyList<double> Default { get; } = Build(includeEleven: true, [128, 256, 512, 1024]);

    /// <summary>Opacus's <c>RDPAccountant.DEFAULT_ALPHAS</c>: 1.1, …, 10.9, then 12, …, 63 (no 11, nothing above 63).</summary>
    public static IReadOnlyList<double> Opacus { get; } = Build(includeEleven: false, []);

    /// <summary>
    /// TF Privacy's <c>compute_dp_sgd_privacy</c> and <c>compute_noise_from_budget</c> grid:
    /// 1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, then 5, …, 63, then 128, 256, 512.
    /// </summary>
    public static IReadOnlyList<double> TfPrivacyDpSgd { get; } = BuildTfPrivacy();

    private static double[] Build(bool includeEleven, double[] large)
    {
        var orders = new List<double>();
        for (int x = 1; x < 100; x++)
        {
            // Written as 1 + x/10 like the Python sources so every order is the same double they use.
            orders.Add(1 + (x / 10.0));
        }

        for (int a = includeEleven ? 11 : 12; a < 64; a++)
        {
            orders.Add(a);
        }

        orders.AddRange(large);
        return [.. orders];
    }

    private static double[] BuildTfPrivacy()
    {
        var orders = new List<double> { 1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5 };
        for (int a = 5; a < 64; a++)
        {
            orders.Add(a);
        }

        orders.AddRange([128, 256, 512]);
        return [.. orders];
    }
}
