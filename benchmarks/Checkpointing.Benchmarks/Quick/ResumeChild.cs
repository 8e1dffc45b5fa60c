using System.Diagnostics;
using System.Globalization;
using Checkpointing.Benchmarks.Support;

namespace Checkpointing.Benchmarks.Quick;

/// <summary>
/// The resume child of quick (h), shared by the benchmark (<c>--resume-child DIR</c>, run by <c>dotnet</c>) and the
/// NativeAOT-compiled child (Checkpointing.ResumeChild.Aot, which links this file and Support/Workload.cs). Resumes the card, then prints
/// <c>ready</c>, how long ResumeAsync took, the JIT's method count and time, the gen 0/1/2 collection counts, the GC pause
/// total and the CPU time the process used (all threads, start-up included); then, on a second line, which kind of
/// code ran and how many exceptions were thrown by then. The first line stops the caller's clock, so describing the
/// image (which may read its headers: System.Reflection.Metadata, no part of a resume) comes after it.
/// </summary>
internal static class ResumeChild
{
    public static async Task<int> RunAsync(string directory, Func<string> describeImage)
    {
        var start = Stopwatch.GetTimestamp();
        var exceptions = 0;
        AppDomain.CurrentDomain.FirstChanceException += (_, _) => Interlocked.Increment(ref exceptions);
        var manager = new CheckpointManager(Workload.CardId, new CheckpointManagerOptions { CheckpointDirectory = directory });
        await using (manager)
        {
            if (await manager.ResumeAsync() is null)
            {
                await Console.Error.WriteLineAsync($"nothing to resume in {directory}");
                return 1;
            }

            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var thrown = exceptions;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"ready {elapsed:R} {System.Runtime.JitInfo.GetCompiledMethodCount()} {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:R} {GC.CollectionCount(0)} {GC.CollectionCount(1)} {GC.CollectionCount(2)} {GC.GetTotalPauseDuration().TotalMilliseconds:R} {Environment.CpuUsage.TotalTime.TotalMilliseconds:R}"));
            Console.WriteLine($"image {describeImage()} exceptions-thrown-by-ready {thrown}");
        }

        return 0;
    }
}
