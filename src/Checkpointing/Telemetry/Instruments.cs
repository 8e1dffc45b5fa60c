using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace Checkpointing.Telemetry;

/// <summary>
/// The library's <see cref="ActivitySource"/>, <see cref="Meter"/> and the instruments a resume records to (names in
/// <see cref="CheckpointingTelemetry"/>). The LLM cache's counters are in <see cref="LlmInstruments"/>, made on first use.
/// </summary>
internal static class Instruments
{
    private static readonly string? Version = typeof(Instruments).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    public static readonly ActivitySource Source = new(CheckpointingTelemetry.ActivitySourceName, Version);

    public static readonly Meter Meter = new(CheckpointingTelemetry.MeterName, Version);

    public static readonly Histogram<double> StageDuration = Seconds(
        "checkpointing.stage.duration", "How long RunStageAsync took per stage, by outcome.",
        [0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200]);

    public static readonly Histogram<double> StoreWriteDuration = Seconds(
        "checkpointing.store.write.duration", "How long the store took to make one change durable, by change type.",
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);

    public static readonly Histogram<double> ResumeDuration = Seconds(
        "checkpointing.resume.duration", "How long ResumeAsync took to load a run and rebuild its LLM cache.",
        [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

    /// <summary>A histogram in seconds with bucket boundaries suited to it (the SDK's defaults suit milliseconds).</summary>
    private static Histogram<double> Seconds(string name, string description, double[] boundaries) =>
        Meter.CreateHistogram<double>(name, "s", description, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = boundaries });
}
