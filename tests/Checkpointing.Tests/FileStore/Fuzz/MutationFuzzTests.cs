using System.Diagnostics;
using System.Globalization;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace Checkpointing.Tests.FileStore.Fuzz;

/// <summary>
/// A deterministic mutation fuzzer over library- and Python-written cards. For every mutant: loading either works or
/// raises a typed error; a failed load or resume changes no file; <see cref="CheckpointManager.CanResumeAsync"/> never
/// throws; a mutant that loads can be resumed, used and disposed, and what the library wrote then loads again; no lock
/// is left behind. Mutants are numbered from a fixed seed, so a failure names the one to replay. It runs for
/// <c>CHECKPOINT_FUZZ_SECONDS</c> (30 by default; set it higher locally for a longer run), and at least
/// <see cref="MinimumMutants"/> mutants whatever the machine's speed.
/// </summary>
public sealed class MutationFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int Seed = 15_0001;
    private const int MinimumMutants = 100;

    /// <summary>Mutants are written to memory where there is a tmpfs: the fsyncs of thousands of resumes then cost nothing.</summary>
    private readonly TempDirectory _temp = Directory.Exists("/dev/shm") ? new TempDirectory("/dev/shm") : new TempDirectory();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task EveryMutant_GetsATypedAnswer_ChangesNoFileWhenRefused_AndLeavesNoLock()
    {
        var corpus = await FuzzCorpus.BuildAsync(_temp.Combine("corpus"));
        var budget = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("CHECKPOINT_FUZZ_SECONDS"), CultureInfo.InvariantCulture, out var s) ? s : 30);
        var clock = Stopwatch.StartNew();
        var failures = new List<string>();
        int mutants = 0, loaded = 0;
        for (; mutants < MinimumMutants || clock.Elapsed < budget; mutants++)
        {
            var card = corpus[mutants % corpus.Count];
            var (snapshot, journal, what) = CardMutator.Mutate(card, Seed + mutants);
            var directory = _temp.Combine("m", mutants.ToString(CultureInfo.InvariantCulture));
            try
            {
                loaded += await CheckAsync(directory, snapshot, journal) ? 1 : 0;
            }
            catch (Exception ex)
            {
                failures.Add($"mutant {mutants} (seed {Seed + mutants}) of {card.Name}, {what}: {ex}");
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        output.WriteLine($"{mutants} mutants of {corpus.Count} cards in {clock.Elapsed.TotalSeconds:F0} s: {loaded} loaded, {mutants - loaded} refused with a typed error");
        failures.Should().BeEmpty(string.Join("\n\n", failures.Take(5)));
    }

    /// <summary>Checks one mutant; returns whether it loaded.</summary>
    private static async Task<bool> CheckAsync(string directory, byte[] snapshot, byte[]? journal)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllBytesAsync(Path.Combine(directory, FuzzCorpus.CardId + ".json"), snapshot);
        if (journal is not null)
        {
            await File.WriteAllBytesAsync(Path.Combine(directory, FuzzCorpus.CardId + ".journal"), journal);
        }

        var before = DamagedCard.Files(directory);
        var repository = new FileSystemCheckpointRepository(directory);
        PipelineCheckpoint? stored;
        try
        {
            stored = await repository.LoadAsync(FuzzCorpus.CardId);
        }
        catch (Exception ex) when (ex is CheckpointCorruptedException or CheckpointVersionException or CheckpointTooLargeException)
        {
            DamagedCard.AssertSameFiles(directory, before, "a failed load changes no file");
            await DamagedCard.AssertRefusedAsync(directory, FuzzCorpus.CardId);
            return false;
        }

        DamagedCard.AssertSameFiles(directory, before, "a load without the lock changes no file");
        var manager = new CheckpointManager(FuzzCorpus.CardId, repository);
        long version;
        await using (manager)
        {
            var canResume = await manager.CanResumeAsync();
            var resumed = await manager.ResumeAsync();
            (resumed is not null).Should().Be(canResume, "CanResumeAsync tells what ResumeAsync does");
            if (resumed is null)
            {
                return true;
            }

            foreach (var response in resumed.StageCheckpoints.Values.SelectMany(stage => stage.LlmResponses).Concat(resumed.PendingLlmResponses.Values.SelectMany(r => r)))
            {
                _ = response.Prompt.Length + response.Response.Length; // every text the load accepted decodes
            }

            _ = manager.GetProgress();
            try
            {
                _ = manager.GetCostReport();
            }
            catch (CheckpointCorruptedException)
            {
                // Usage summing past what a report holds is reported, typed.
            }

            await manager.CacheLlmResponseAsync("fuzz-stage", new LlmResponse("fuzz prompt", "fuzz answer"));
            await manager.SaveStageCheckpointAsync("fuzz-stage", StageStatus.Completed, result: new { fuzzed = true });
            version = manager.Checkpoint!.Version;
        }

        var reloaded = await new FileSystemCheckpointRepository(directory).LoadAsync(FuzzCorpus.CardId);
        reloaded!.Version.Should().Be(version, "what the library wrote loads again");
        await using (await new FileSystemCheckpointRepository(directory).AcquireOwnershipAsync(FuzzCorpus.CardId, TimeSpan.Zero))
        {
            // No lock was left behind.
        }

        return true;
    }
}
