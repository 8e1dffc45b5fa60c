using System.Diagnostics;
using Checkpointing.Benchmarks.Support;
using Checkpointing.LlmCache;

namespace Checkpointing.Benchmarks.Quick;

/// <summary>
/// (e): <see cref="CheckpointManager.GetCachedLlmResponse"/> for a 2 KB prompt on a run with 10,000 cached responses,
/// in batches of calls: time per call and bytes allocated per call, beside the prompt's SHA-256 alone.
/// </summary>
internal static class LookupQuick
{
    private const int CallsPerBatch = 10_000;

    public static async Task RunAsync(string root, string largeHistory, int iterations, Report report)
    {
        Report.Section("(e) GetCachedLlmResponse for a 2 KB prompt, 10,000 responses cached");
        var directory = Path.Combine(root, "lookup");
        ScratchDirectory.CopyFiles(largeHistory, directory);
        await using var manager = new CheckpointManager(Workload.CardId, new CheckpointManagerOptions { CheckpointDirectory = directory });
        await manager.ResumeAsync();
        var stage = Workload.StageName(500);
        var prompt = Workload.Response(500, 3).Prompt;
        var missing = Workload.Text("never sent ", Workload.PromptChars, seed: 42);
        if (manager.GetCachedLlmResponse(stage, prompt, Workload.Model) is null)
        {
            throw new InvalidOperationException("The benchmark prompt is not cached; the workload and the history disagree.");
        }

        var hit = Measure(iterations, () => manager.GetCachedLlmResponse(stage, prompt, Workload.Model));
        var miss = Measure(iterations, () => manager.GetCachedLlmResponse(stage, missing));
        var hash = Measure(iterations, () => PromptHash.Of(prompt));
        Report.Line($"hit:  {hit}");
        Report.Line($"miss: {miss}");
        Report.Line($"SHA-256 of the prompt alone (PromptHash.Of): {hash}");
        report.Below("median time per hit", hit.Microseconds, 10, "us");
        report.AtMost("bytes allocated per hit beyond the hash", hit.BytesPerCall - hash.BytesPerCall, 0, "B");
    }

    private static Batches Measure<T>(int iterations, Func<T> call)
    {
        var batches = new Batches();
        for (var batch = -1; batch < iterations; batch++)
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < CallsPerBatch; i++)
            {
                _ = call();
            }

            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var bytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
            if (batch >= 0)
            {
                batches.PerCall.Add(elapsed / CallsPerBatch); // batch -1 is the warm-up
                batches.Bytes = Math.Max(batches.Bytes, bytes);
            }
        }

        return batches;
    }

    private sealed class Batches
    {
        public Samples PerCall { get; } = new();

        public long Bytes { get; set; }

        public double Microseconds => PerCall.Median * 1000;

        public double BytesPerCall => (double)Bytes / CallsPerBatch;

        public override string ToString() =>
            $"{Report.Ms(PerCall.Median)} per call (median of {PerCall.Count} batches of {CallsPerBatch:N0}; mean {Report.Ms(PerCall.Mean)}), {BytesPerCall:0.###} B allocated per call";
    }
}
