using Checkpointing.Tests.Support;

namespace Checkpointing.Tests.FileStore.Fuzz;

/// <summary>One card's files: the snapshot and, for a card with records since its last compaction, the journal.</summary>
/// <param name="Name">What the card is, for failure reports.</param>
/// <param name="Snapshot">The <c>.json</c> file.</param>
/// <param name="Journal">The <c>.journal</c> file, or <see langword="null"/>.</param>
public sealed record FuzzCard(string Name, byte[] Snapshot, byte[]? Journal);

/// <summary>
/// The cards the fuzzer damages: every Python manager fixture (renamed to the fuzzed card id), and cards the library
/// wrote through the manager, both with journal records and compacted.
/// </summary>
public static class FuzzCorpus
{
    public const string CardId = DamagedCard.CardId;

    public static async Task<IReadOnlyList<FuzzCard>> BuildAsync(string workDirectory)
    {
        var cards = new List<FuzzCard>();
        foreach (var id in Fixtures.CardIds)
        {
            var text = await File.ReadAllTextAsync(Path.Combine(Fixtures.Directory, id + ".json"));
            cards.Add(new FuzzCard($"python:{id}", System.Text.Encoding.UTF8.GetBytes(text.Replace($"\"{id}\"", $"\"{CardId}\"", StringComparison.Ordinal)), null));
        }

        var directory = Path.Combine(workDirectory, "library");
        Directory.CreateDirectory(workDirectory);
        var artifact = Path.Combine(workDirectory, "artifact.txt");
        await File.WriteAllTextAsync(artifact, "an artifact");
        var manager = new CheckpointManager(CardId, new FileSystemCheckpointRepository(directory));
        await using (manager)
        {
            await manager.CreateCheckpointAsync(5, new Dictionary<string, object?> { ["branch"] = "main", ["flags"] = new[] { 1, 2 } });
            await manager.RunStageAsync("requirements", async (stage, ct) =>
            {
                var request = LlmRequest.ForPrompt("Write the requirements\nwith \"quotes\", a tab\t and é 🙂", model: "gpt-4o");
                await stage.GetOrAddLlmResponseAsync(request, _ => Task.FromResult(new LlmResponse(request.PromptText, "The answer \\ with escapes")
                {
                    Usage = new LlmUsage(812, 240, 0.0049m, "USD"),
                    FinishReason = "stop",
                }), ct);
                stage.AddArtifact(artifact);
                return new { summary = "done", count = 3 };
            }, new StageOptions { Fingerprint = "v1" });
            await manager.SaveStageCheckpointAsync("architecture", StageStatus.Failed, errorMessage: "boom\nsecond line", startTime: DamagedCard.At, endTime: DamagedCard.At.AddSeconds(90));
            await manager.SaveStageCheckpointAsync("skipped", StageStatus.Skipped);
            await manager.CacheLlmResponseAsync("development", new LlmResponse("a written-ahead prompt", "its answer") { Model = "m" });
            await manager.SetCurrentStageAsync("development");
            cards.Add(await ReadAsync("library:journaled", directory));
            await manager.MarkFailedAsync("a reason");
            cards.Add(await ReadAsync("library:failed-compacted", directory));
        }

        cards.Add(await ReadAsync("library:disposed", directory));
        return cards;
    }

    private static async Task<FuzzCard> ReadAsync(string name, string directory)
    {
        var snapshot = await File.ReadAllBytesAsync(Path.Combine(directory, CardId + ".json"));
        var journalPath = Path.Combine(directory, CardId + ".journal");
        var journal = File.Exists(journalPath) ? await File.ReadAllBytesAsync(journalPath) : null;
        return new FuzzCard(name, snapshot, journal);
    }
}
