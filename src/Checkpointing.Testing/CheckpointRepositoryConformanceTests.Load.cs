using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Testing;

public abstract partial class CheckpointRepositoryConformanceTests
{
    /// <summary>
    /// A document of <see cref="LargeDocumentResponseCount"/> LLM responses of 6 KB (about 12 MB by default), written
    /// whole, then grown by a large stage record and small changes, round-trips exactly before and after compaction.
    /// </summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task LargeDocument_RoundTrips()
    {
        var repository = await OpenRepositoryAsync();
        var half = LargeDocumentResponseCount / 2;
        var first = Enumerable.Range(0, half).Select(i => CheckpointSamples.LargeResponse($"first: prompt {i}", 6 * 1024)).ToImmutableList();
        var second = Enumerable.Range(half, LargeDocumentResponseCount - half)
            .Select(i => CheckpointSamples.LargeResponse($"second: prompt {i}", 6 * 1024)).ToImmutableList();
        var watch = Stopwatch.StartNew();
        var checkpoint = CheckpointSamples.Minimal(NewCardId("large")) with
        {
            StageCheckpoints = new Dictionary<string, StageCheckpoint>(StringComparer.Ordinal)
            {
                ["first"] = CheckpointSamples.Stage("first", responses: first),
            },
            CompletedStages = ImmutableList.Create("first"),
        };
        await repository.SaveAsync(checkpoint);
        checkpoint = await ApplyAndSaveAsync(repository, checkpoint, new StageRecorded(2, CheckpointSamples.At(100), CheckpointSamples.Stage("second", responses: second)));
        for (var i = 0; i < 10; i++)
        {
            checkpoint = await ApplyAndSaveAsync(
                repository, checkpoint, new LlmResponseCached(checkpoint.Version + 1, CheckpointSamples.At(200 + i), "third", CheckpointSamples.LargeResponse($"third: {i}", 6 * 1024)));
        }

        Log($"wrote {LargeDocumentResponseCount + 10} responses of 6 KB in {watch.ElapsedMilliseconds} ms");
        await ShouldLoadAsync(repository, checkpoint, "after writing a large document");
        await repository.CompactAsync(checkpoint.CardId);
        await ShouldLoadAsync(repository, checkpoint, "after compacting a large document");
        checkpoint = await ApplyAndSaveAsync(repository, checkpoint, new CurrentStageSet(checkpoint.Version + 1, CheckpointSamples.At(300), "fourth"));
        await ShouldLoadAsync(repository, checkpoint, "after a small change to a compacted large document");
        Log($"large-document test took {watch.ElapsedMilliseconds} ms");
    }

    /// <summary>
    /// Four writers, each with its own repository, update one card concurrently by load, apply, save-change, retrying
    /// when refused (<see cref="CheckpointConflictException"/> or <see cref="CheckpointLockedException"/>): every update
    /// ends up stored exactly once, in each writer's order, and the version counts them all.
    /// </summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task ConcurrentWriters_OnOneCard_KeepEveryUpdate()
    {
        const int Writers = 4;
        var updates = ConcurrentUpdatesPerWriter;
        var setup = await OpenRepositoryAsync();
        var cardId = NewCardId("contended");
        await setup.SaveAsync(CheckpointSamples.Minimal(cardId));
        var repositories = new ICheckpointRepository[Writers];
        for (var w = 0; w < Writers; w++)
        {
            repositories[w] = await OpenRepositoryAsync();
        }

        var conflicts = 0;
        var locked = 0;
        var deadline = Stopwatch.StartNew();
        using var start = new ManualResetEventSlim();
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            start.Wait();
            for (var u = 0; u < updates; u++)
            {
                while (true)
                {
                    deadline.Elapsed.Should().BeLessThan(TimeSpan.FromMinutes(2), "writers must make progress");
                    var current = (await repositories[w].LoadAsync(cardId))!;
                    var change = new LlmResponseCached(
                        current.Version + 1, CheckpointSamples.At(u), $"writer-{w}", CheckpointSamples.Response($"writer {w} update {u}", model: null));
                    try
                    {
                        await repositories[w].SaveChangeAsync(new AppliedChange(current, change));
                        break;
                    }
                    catch (CheckpointConflictException)
                    {
                        Interlocked.Increment(ref conflicts);
                    }
                    catch (CheckpointLockedException)
                    {
                        Interlocked.Increment(ref locked);
                    }

                    await Task.Delay(random.Next(0, 3));
                }
            }
        })).ToArray();
        start.Set();
        await Task.WhenAll(writers);
        Log($"{Writers} writers x {updates} updates in {deadline.ElapsedMilliseconds} ms: {conflicts} conflicts and {locked} lock refusals retried");

        var stored = (await (await OpenRepositoryAsync()).LoadAsync(cardId))!;
        stored.Version.Should().Be(1 + (Writers * updates));
        for (var w = 0; w < Writers; w++)
        {
            stored.PendingLlmResponses[$"writer-{w}"].Select(r => r.Prompt)
                .Should().Equal(Enumerable.Range(0, updates).Select(u => $"writer {w} update {u}"), "writer {0}'s updates are all kept, in order", w);
        }

        await setup.CompactAsync(cardId);
        (await (await OpenRepositoryAsync()).LoadAsync(cardId)).ShouldMatch(stored, "after compacting the contended card");
    }

    /// <summary>
    /// Writers on cards whose ids extend each other with dots (<c>p</c>, <c>p.1</c>, <c>p.1.json</c>), as file names of
    /// such ids do, save whole documents at the same time without an owner: none disturbs another.
    /// </summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task ConcurrentWriters_OnCardsWhoseIdsExtendEachOther_DoNotInterfere()
    {
        var prefix = NewCardId("p");
        string[] ids = [prefix, $"{prefix}.1", $"{prefix}.1.json", $"{prefix}.json"];
        var writers = ids.Select(async cardId =>
        {
            var repository = await OpenRepositoryAsync();
            PipelineCheckpoint? checkpoint = null;
            for (var i = 1; i <= 20; i++)
            {
                var stage = CheckpointSamples.Stage($"stage-{i}", responses: [CheckpointSamples.LargeResponse($"{cardId} {i}", 32 * 1024)]);
                checkpoint = CheckpointSamples.Minimal(cardId, version: i) with
                {
                    StageCheckpoints = new Dictionary<string, StageCheckpoint>(StringComparer.Ordinal) { [stage.StageName] = stage },
                };
                await repository.SaveAsync(checkpoint);
            }

            return checkpoint!;
        }).ToArray();
        var saved = await Task.WhenAll(writers);

        var fresh = await OpenRepositoryAsync();
        foreach (var checkpoint in saved)
        {
            (await fresh.LoadAsync(checkpoint.CardId)).ShouldMatch(checkpoint, "each writer wrote only its own card");
        }
    }

    /// <summary>Writers on different cards at the same time do not disturb each other.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task ConcurrentWriters_OnDifferentCards_DoNotInterfere()
    {
        const int Writers = 4;
        var expected = new ConcurrentDictionary<string, PipelineCheckpoint>();
        var writers = Enumerable.Range(0, Writers).Select(async w =>
        {
            var repository = await OpenRepositoryAsync();
            var cardId = NewCardId($"parallel-{w}");
            await using var ownership = await repository.AcquireOwnershipAsync(cardId, TimeSpan.FromSeconds(30));
            var checkpoint = CheckpointSamples.Checkpoint(cardId);
            await repository.SaveAsync(checkpoint);
            for (var i = 0; i < 20; i++)
            {
                CheckpointChange change = i % 4 == 3
                    ? new StageRecorded(checkpoint.Version + 1, CheckpointSamples.At(i), CheckpointSamples.Stage($"stage-{i}", startSeconds: i))
                    : new LlmResponseCached(checkpoint.Version + 1, CheckpointSamples.At(i), $"stage-{i - (i % 4) + 3}", CheckpointSamples.Response($"{w}/{i}"));
                checkpoint = await ApplyAndSaveAsync(repository, checkpoint, change);
            }

            expected[cardId] = checkpoint;
        }).ToArray();
        await Task.WhenAll(writers);

        var fresh = await OpenRepositoryAsync();
        foreach (var (cardId, checkpoint) in expected)
        {
            (await fresh.LoadAsync(cardId)).ShouldMatch(checkpoint, "each writer owned its own card");
        }
    }
}
