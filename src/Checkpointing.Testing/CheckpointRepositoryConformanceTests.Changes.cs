using System.Collections.Immutable;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Testing;

public abstract partial class CheckpointRepositoryConformanceTests
{
    /// <summary>
    /// Every kind of change, saved with <see cref="ICheckpointRepository.SaveChangeAsync"/>, leaves exactly the state
    /// <see cref="CheckpointChange.ApplyTo"/> computes, for the writer and for a fresh repository, before and after compaction.
    /// </summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task SaveChange_EveryChangeType_FreshRepositoryLoadsIdenticalState()
    {
        var repository = await OpenRepositoryAsync();
        var cardId = NewCardId("changes");
        var checkpoint = CheckpointSamples.Checkpoint(cardId);
        await repository.SaveAsync(checkpoint);
        var pendingA = CheckpointSamples.Response("analyze: prompt α", model: "model-a");
        var pendingB = CheckpointSamples.Response("analyze: prompt α", "a different answer", model: "model-b");
        CheckpointChange[] changes =
        [
            new CurrentStageSet(2, CheckpointSamples.At(20), "analyze"),
            new LlmResponseCached(3, CheckpointSamples.At(21), "analyze", pendingA),
            new LlmResponseCached(4, CheckpointSamples.At(22), "analyze", pendingB),
            new LlmResponseCached(5, CheckpointSamples.At(23), "report", CheckpointSamples.Response("report: ahead", model: null)),
            new StageRecorded(6, CheckpointSamples.At(30), CheckpointSamples.Stage("analyze", startSeconds: 20, durationSeconds: 10, responses: [pendingA, pendingB])),
            new StageRecorded(7, CheckpointSamples.At(40), CheckpointSamples.Stage("report", StageStatus.Failed, startSeconds: 31, durationSeconds: 9)),
            new StatusChanged(8, CheckpointSamples.At(41), CheckpointStatus.Failed, "report failed: «timeout»"),
            new CheckpointResumed(9, CheckpointSamples.At(50)),
            new StageRecorded(10, CheckpointSamples.At(60), CheckpointSamples.Stage("report", startSeconds: 51, durationSeconds: 9) with { RetryCount = 1 }),
            new StageRecorded(11, CheckpointSamples.At(61), CheckpointSamples.Stage("publish", StageStatus.Skipped, startSeconds: 61, durationSeconds: 0)),
            new StatusChanged(12, CheckpointSamples.At(62), CheckpointStatus.Paused),
            new CheckpointResumed(13, CheckpointSamples.At(70)),
            new StatusChanged(14, CheckpointSamples.At(71), CheckpointStatus.Completed),
        ];

        foreach (var change in changes)
        {
            checkpoint = await ApplyAndSaveAsync(repository, checkpoint, change);
            await ShouldLoadAsync(repository, checkpoint, $"after {change.GetType().Name} to version {change.Version}");
        }

        checkpoint.Version.Should().Be(14);
        await repository.CompactAsync(cardId);
        await ShouldLoadAsync(repository, checkpoint, "after CompactAsync");
    }

    /// <summary>
    /// A prompt and an answer of a million characters each (a whole document sent to a model, and its rewrite), with text
    /// that JSON must escape, are kept exactly: written ahead, recorded with their stage, and after compaction.
    /// </summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task SaveChange_TextsOfAMillionCharacters_AreKeptExactly_ThroughCompaction()
    {
        var repository = await OpenRepositoryAsync();
        var cardId = NewCardId("million");
        var checkpoint = CheckpointSamples.Checkpoint(cardId);
        await repository.SaveAsync(checkpoint);
        var prompt = string.Concat(Enumerable.Repeat("Summarise: \"quoted\", tab\t, line\n, é, 🚀 ", 1_000_000 / 40));
        var answer = CheckpointSamples.LargeResponse(prompt, 1_000_000) with { Model = "model-a" };

        checkpoint = await ApplyAndSaveAsync(repository, checkpoint, new LlmResponseCached(checkpoint.Version + 1, CheckpointSamples.At(20), "rewrite", answer));
        await ShouldLoadAsync(repository, checkpoint, "after the answer was written ahead");
        checkpoint = await ApplyAndSaveAsync(
            repository, checkpoint, new StageRecorded(checkpoint.Version + 1, CheckpointSamples.At(30), CheckpointSamples.Stage("rewrite", responses: [answer])));
        await repository.CompactAsync(cardId);
        await ShouldLoadAsync(repository, checkpoint, "after CompactAsync");
        var loaded = (await (await OpenRepositoryAsync()).LoadAsync(cardId))!;
        loaded.StageCheckpoints["rewrite"].LlmResponses.Should().ContainSingle().Which.Prompt.Should().Be(prompt);
    }

    /// <summary>
    /// Hundreds of changes, enough to pass any sensible compaction threshold, keep every response and every stage: the
    /// state is checked along the way and after the write-ahead responses move into their stage records.
    /// </summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task SaveChange_ManyChangesAcrossCompactions_KeepsEveryChange()
    {
        var repository = await OpenRepositoryAsync();
        var checkpoint = CheckpointSamples.Minimal(NewCardId("many"));
        await repository.SaveAsync(checkpoint);
        const int Responses = 300;
        for (var i = 0; i < Responses; i++)
        {
            var response = CheckpointSamples.LargeResponse($"stage-{i % 3}: prompt {i}", 1024);
            checkpoint = await ApplyAndSaveAsync(repository, checkpoint, new LlmResponseCached(checkpoint.Version + 1, CheckpointSamples.At(i), $"stage-{i % 3}", response));
            if (i % 97 == 0)
            {
                await ShouldLoadAsync(repository, checkpoint, $"after {i + 1} write-ahead responses");
            }
        }

        for (var s = 0; s < 3; s++)
        {
            var stage = CheckpointSamples.Stage($"stage-{s}", startSeconds: 400 + s, responses: checkpoint.PendingLlmResponses[$"stage-{s}"]);
            checkpoint = await ApplyAndSaveAsync(repository, checkpoint, new StageRecorded(checkpoint.Version + 1, CheckpointSamples.At(500 + s), stage));
        }

        checkpoint.PendingLlmResponses.Should().BeEmpty();
        checkpoint.StageCheckpoints.Values.Sum(stage => stage.LlmResponses.Count).Should().Be(Responses);
        await ShouldLoadAsync(repository, checkpoint, $"after {Responses} responses moved into 3 stage records");
        await repository.CompactAsync(checkpoint.CardId);
        await ShouldLoadAsync(repository, checkpoint, "after CompactAsync");
    }

    /// <summary><see cref="ICheckpointRepository.SaveAsync"/> after changes replaces the whole state: no earlier change survives it.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Save_AfterChanges_ReplacesTheWholeState()
    {
        var repository = await OpenRepositoryAsync();
        var cardId = NewCardId("replace");
        var checkpoint = CheckpointSamples.Checkpoint(cardId);
        await repository.SaveAsync(checkpoint);
        checkpoint = await ApplyAndSaveAsync(repository, checkpoint, new LlmResponseCached(2, CheckpointSamples.At(20), "analyze", CheckpointSamples.Response("old run")));
        checkpoint = await ApplyAndSaveAsync(repository, checkpoint, new StageRecorded(3, CheckpointSamples.At(21), CheckpointSamples.Stage("analyze")));

        var replacement = CheckpointSamples.Minimal(cardId, version: 4) with { CheckpointId = "checkpoint-new-run", TotalStages = 7 };
        await repository.SaveAsync(replacement);
        await ShouldLoadAsync(repository, replacement, "after SaveAsync replaced a checkpoint that had changes");

        var next = await ApplyAndSaveAsync(repository, replacement, new CurrentStageSet(5, CheckpointSamples.At(40), "first"));
        await ShouldLoadAsync(repository, next, "after a change to the replacement");
        await repository.CompactAsync(cardId);
        await ShouldLoadAsync(repository, next, "after compacting the replacement");
    }

    /// <summary>A change saved for a card with nothing stored (version 0, as files of the Python manager load) stores the checkpoint.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task SaveChange_OnCardWithNothingStored_StoresTheCheckpoint()
    {
        var repository = await OpenRepositoryAsync();
        var unsaved = CheckpointSamples.Checkpoint(NewCardId("first-change"), version: 0);

        var checkpoint = await ApplyAndSaveAsync(repository, unsaved, new CurrentStageSet(1, CheckpointSamples.At(20), "analyze"));

        await ShouldLoadAsync(repository, checkpoint, "after a first change of a card with nothing stored");
        checkpoint = await ApplyAndSaveAsync(repository, checkpoint, new StatusChanged(2, CheckpointSamples.At(21), CheckpointStatus.Paused));
        await ShouldLoadAsync(repository, checkpoint, "after a second change");
    }

    /// <summary>Text of every kind survives: emoji, combining marks, right-to-left text, NUL and other control characters, JSON-looking strings.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task SaveChange_UnicodeAndControlCharactersInContent_RoundTrip()
    {
        var repository = await OpenRepositoryAsync();
        var checkpoint = CheckpointSamples.Minimal(NewCardId("content"));
        await repository.SaveAsync(checkpoint);
        string[] texts =
        [
            "emoji 🚀👩‍💻 and flags 🇫🇷",
            "combining: cafe\u0301 vs café",
            "right-to-left: مرحبا بالعالم",
            "nul\u0000inside and \u0001\u001f controls, tab\t, newline\n, carriage return\r",
            "quotes \" and backslash \\ and {\"json\": [1, 2]}",
            "</script><!-- -->&amp;",
            "line separator \u2028 paragraph separator \u2029",
            string.Empty,
        ];
        var stageName = "stage ✓ «名前»";
        for (var i = 0; i < texts.Length; i++)
        {
            var response = new LlmResponse(texts[i], texts[(i + 1) % texts.Length]) { Model = i % 2 == 0 ? texts[i] : null };
            checkpoint = await ApplyAndSaveAsync(repository, checkpoint, new LlmResponseCached(checkpoint.Version + 1, CheckpointSamples.At(i), stageName, response));
        }

        var stage = CheckpointSamples.Stage(stageName, StageStatus.Failed, responses: checkpoint.PendingLlmResponses[stageName]) with
        {
            ErrorMessage = texts[3],
            Artifacts = ImmutableList.CreateRange(texts),
        };
        checkpoint = await ApplyAndSaveAsync(repository, checkpoint, new StageRecorded(checkpoint.Version + 1, CheckpointSamples.At(100), stage));
        checkpoint = await ApplyAndSaveAsync(repository, checkpoint, new CurrentStageSet(checkpoint.Version + 1, CheckpointSamples.At(101), texts[0]));
        checkpoint = await ApplyAndSaveAsync(repository, checkpoint, new StatusChanged(checkpoint.Version + 1, CheckpointSamples.At(102), CheckpointStatus.Failed, texts[3]));

        await ShouldLoadAsync(repository, checkpoint, "after changes full of unusual text");
        await repository.CompactAsync(checkpoint.CardId);
        await ShouldLoadAsync(repository, checkpoint, "after compacting them");
    }
}
