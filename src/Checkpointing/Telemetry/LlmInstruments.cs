using System.Diagnostics.Metrics;

namespace Checkpointing.Telemetry;

/// <summary>
/// The LLM cache's counters, on <see cref="Instruments.Meter"/>. Apart from <see cref="Instruments"/> so that a process
/// that only resumes does not make them (each is framework code a fresh process would JIT-compile first).
/// </summary>
internal static class LlmInstruments
{
    public static readonly Counter<long> LlmRequests = Instruments.Meter.CreateCounter<long>(
        "checkpointing.llm.requests", "{request}", "Memoized LLM requests, by cache outcome (hit or miss).");

    public static readonly Counter<long> TokensSaved = Instruments.Meter.CreateCounter<long>(
        "checkpointing.llm.tokens_saved", "{token}", "Prompt and completion tokens not paid for again because the cache answered.");

    public static readonly Counter<double> CostSaved = Instruments.Meter.CreateCounter<double>(
        "checkpointing.llm.cost_saved", "{currency}", "Cost not paid again because the cache answered, by currency.");
}
