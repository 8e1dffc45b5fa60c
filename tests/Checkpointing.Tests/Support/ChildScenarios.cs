using System.Diagnostics;
using System.Globalization;

namespace Checkpointing.Tests.Support;

/// <summary>Scenarios a crash test runs in a real child process; each reports progress on stdout, one line per durable step.</summary>
/// <remarks>
/// A line is written only after the call it reports has returned, so every line the test reads names something the
/// library promised was durable. Console.Out flushes on every line. Every scenario that loops gives up after
/// <see cref="SafetyLimit"/> so that a child orphaned by a crashed test runner does not spin forever.
/// </remarks>
public static class ChildScenarios
{
    private static readonly TimeSpan SafetyLimit = TimeSpan.FromMinutes(10);

    /// <summary>Starts the named scenario, or returns <see langword="null"/> for a name this assembly does not know.</summary>
    public static Task<int>? Find(string scenario, string[] args) => scenario switch
    {
        "noop" => NoopAsync(),
        "kill-loop" => KillLoopAsync(args[0], args[1], args[2]),
        "updater" => UpdaterAsync(args[0], args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture)),
        "hold" => HoldAsync(args[0], args[1]),
        "try-own" => TryOwnAsync(args[0], args[1]),
        "writer" => WriterAsync(args[0], args[1]),
        _ => null,
    };

    /// <summary>Prints <c>ready</c> and exits: a child that does nothing, for tests of the harness and of the runtime it starts in.</summary>
    private static async Task<int> NoopAsync()
    {
        await Console.Out.WriteLineAsync("ready");
        return 0;
    }

    /// <summary>
    /// Resumes (or creates) the card and alternates, as fast as it can, a write-ahead cached response for a stage and
    /// the stage's save: <c>cached &lt;stage&gt; &lt;prompt&gt;</c>, <c>stage &lt;name&gt; &lt;version&gt;</c>; every tenth
    /// stage it also compacts (<c>compacted &lt;version&gt;</c>). Stage names carry <paramref name="run"/> so that every
    /// run records new stages.
    /// </summary>
    private static async Task<int> KillLoopAsync(string directory, string cardId, string run)
    {
        var manager = new CheckpointManager(
            cardId,
            new FileSystemCheckpointRepository(directory),
            new CheckpointManagerOptions { LockTimeout = TimeSpan.FromSeconds(10) });
        await using (manager)
        {
            if (await manager.CanResumeAsync())
            {
                await manager.ResumeAsync();
            }
            else
            {
                await manager.CreateCheckpointAsync(totalStages: 1_000_000);
            }

            Console.WriteLine($"open {manager.Checkpoint!.Version}");
            var watch = Stopwatch.StartNew();
            for (var i = 0; watch.Elapsed < SafetyLimit; i++)
            {
                var stage = $"r{run}-s{i}";
                var prompt = $"r{run}-p{i}";
                await manager.CacheLlmResponseAsync(stage, new LlmResponse(prompt, $"write-ahead answer {i} of run {run}") { Model = "model-a" });
                Console.WriteLine($"cached {stage} {prompt}");

                await manager.SaveStageCheckpointAsync(
                    stage,
                    StageStatus.Completed,
                    result: new { Run = run, Index = i, Summary = $"stage {i} of run {run} done" },
                    llmResponses:
                    [
                        new LlmResponse($"{stage}-q1", "first answer") { Model = "model-a" },
                        new LlmResponse($"{stage}-q2", "second answer") { Model = "model-b" },
                    ]);
                Console.WriteLine($"stage {stage} {manager.Checkpoint!.Version}");

                // Now and then fold the journal into a new snapshot, so that kills also land mid-compaction.
                if (i % 10 == 9)
                {
                    await manager.CompactAsync();
                    Console.WriteLine($"compacted {manager.Checkpoint!.Version}");
                }
            }
        }

        return 0;
    }

    /// <summary>
    /// Applies <paramref name="count"/> updates to one card, each through a fresh manager that must own the card
    /// (lock timeout zero): resume (or create), save stage <c>&lt;worker&gt;-&lt;i&gt;</c>, dispose. A refused update is
    /// counted and retried. Prints <c>ready</c>, waits for <c>go</c> on stdin, and ends with
    /// <c>done &lt;worker&gt; saved=&lt;n&gt; locked=&lt;n&gt; conflicts=&lt;n&gt;</c>.
    /// </summary>
    private static async Task<int> UpdaterAsync(string directory, string cardId, string worker, int count)
    {
        Console.WriteLine("ready");
        if (await Console.In.ReadLineAsync() != "go")
        {
            return 2;
        }

        var options = new CheckpointManagerOptions { LockTimeout = TimeSpan.Zero };
        int saved = 0, locked = 0, conflicts = 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            while (true)
            {
                if (watch.Elapsed > SafetyLimit)
                {
                    Console.WriteLine($"gave-up {worker} at={i}");
                    return ChildProcessMain.Failed;
                }

                try
                {
                    var manager = new CheckpointManager(cardId, new FileSystemCheckpointRepository(directory), options);
                    await using (manager)
                    {
                        if (await manager.ResumeAsync() is null)
                        {
                            await manager.CreateCheckpointAsync(totalStages: 0);
                        }

                        await manager.SaveStageCheckpointAsync($"{worker}-{i}", StageStatus.Completed, result: i);
                    }

                    saved++;
                    break;
                }
                catch (CheckpointLockedException)
                {
                    locked++;
                }
                catch (CheckpointConflictException)
                {
                    conflicts++;
                }

                await Task.Delay(Random.Shared.Next(1, 8));
            }
        }

        Console.WriteLine($"done {worker} saved={saved} locked={locked} conflicts={conflicts}");
        return 0;
    }

    /// <summary>Creates the card, saves stage <c>held</c>, prints <c>owned</c> and keeps the manager open until killed.</summary>
    private static async Task<int> HoldAsync(string directory, string cardId)
    {
        var manager = new CheckpointManager(cardId, new FileSystemCheckpointRepository(directory), new CheckpointManagerOptions());
        await using (manager)
        {
            await manager.CreateCheckpointAsync(totalStages: 3);
            await manager.SaveStageCheckpointAsync("held", StageStatus.Completed, result: "kept");
            Console.WriteLine("owned");
            await Task.Delay(SafetyLimit);
        }

        return 0;
    }

    /// <summary>Tries to resume the card at once (lock timeout zero): prints <c>locked</c>, or <c>owned &lt;version&gt;</c>.</summary>
    private static async Task<int> TryOwnAsync(string directory, string cardId)
    {
        var manager = new CheckpointManager(cardId, new FileSystemCheckpointRepository(directory), new CheckpointManagerOptions());
        await using (manager)
        {
            try
            {
                var resumed = await manager.ResumeAsync();
                Console.WriteLine($"owned {resumed?.Version}");
            }
            catch (CheckpointLockedException)
            {
                Console.WriteLine("locked");
            }
        }

        return 0;
    }

    /// <summary>
    /// Creates the card and writes stages <c>s-0</c>, <c>s-1</c>, ... as fast as it can, caching a write-ahead response
    /// before every other stage and compacting often (small <see cref="FileSystemCheckpointRepositoryOptions.MinCompactionBytes"/>
    /// and an explicit compaction every 16 stages), so the snapshot is replaced many times. Prints <c>started</c>, then
    /// <c>stage &lt;name&gt; &lt;version&gt;</c> per stage, until killed.
    /// </summary>
    private static async Task<int> WriterAsync(string directory, string cardId)
    {
        var repository = new FileSystemCheckpointRepository(directory, new FileSystemCheckpointRepositoryOptions { MinCompactionBytes = 1024 });
        var manager = new CheckpointManager(cardId, repository, new CheckpointManagerOptions { LockTimeout = TimeSpan.FromSeconds(10) });
        await using (manager)
        {
            await manager.CreateCheckpointAsync(totalStages: 1_000_000);
            Console.WriteLine("started");
            var padding = new string('x', 100);
            var watch = Stopwatch.StartNew();
            for (var i = 0; watch.Elapsed < SafetyLimit; i++)
            {
                var stage = $"s-{i}";
                if (i % 2 == 0)
                {
                    await manager.CacheLlmResponseAsync(stage, new LlmResponse($"prompt {i}", padding));
                }

                await manager.SaveStageCheckpointAsync(stage, StageStatus.Completed, result: new { Index = i, Padding = padding });
                if (i % 16 == 15)
                {
                    await manager.CompactAsync();
                }

                Console.WriteLine($"stage {stage} {manager.Checkpoint!.Version}");
            }
        }

        return 0;
    }
}
