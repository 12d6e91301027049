namespace FedTrain.Coordinator.Hosting.LiveView;

/// <summary>One counted bucket of a DP fairness histogram: the accuracy at its centre and the clients it holds after noise.</summary>
internal sealed record HistogramBucketView(double Accuracy, double Clients);
