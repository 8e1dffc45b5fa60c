using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace Checkpointing;

/// <summary>The library's <see cref="ActivitySource"/>, <see cref="Meter"/> and instruments (names in <see cref="CheckpointingTelemetry"/>).</summary>
internal static class Instruments
{
    private static readonly string? Version = typeof(Instruments).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    public static readonly ActivitySource Source = new(CheckpointingTelemetry.ActivitySourceName, Version);

    public static readonly Meter Meter = new(CheckpointingTelemetry.MeterName, Version);

    public static readonly Histogram<double> StageDuration = Meter.CreateHistogram<double>(
        "checkpointing.stage.duration", "s", "How long RunStageAsync took per stage, by outcome.");

    public static readonly Histogram<double> StoreWriteDuration = Meter.CreateHistogram<double>(
        "checkpointing.store.write.duration", "s", "How long the store took to make one change durable, by change type.");

    public static readonly Histogram<double> ResumeDuration = Meter.CreateHistogram<double>(
        "checkpointing.resume.duration", "s", "How long ResumeAsync took to load a run and rebuild its LLM cache.");

    public static readonly Counter<long> LlmRequests = Meter.CreateCounter<long>(
        "checkpointing.llm.requests", "{request}", "Memoized LLM requests, by cache outcome (hit or miss).");

    public static readonly Counter<long> TokensSaved = Meter.CreateCounter<long>(
        "checkpointing.llm.tokens_saved", "{token}", "Prompt and completion tokens not paid for again because the cache answered.");

    public static readonly Counter<double> CostSaved = Meter.CreateCounter<double>(
        "checkpointing.llm.cost_saved", "{currency}", "Cost not paid again because the cache answered, by currency.");
}
