using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Checkpointing.Json;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore;

/// <summary>The compatibility contract with the Python manager (../shared/fixtures/artemis-python/README.md).</summary>
public sealed class PythonFixtureTests : IDisposable
{
    private static readonly string[] AddedKeys = ["schema_version", "version", "journal_id"];
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Fixtures_AreAllPresent() =>
        Directory.EnumerateFiles(Fixtures.Directory, "*.json").Select(Path.GetFileNameWithoutExtension)
            .Should().BeEquivalentTo(Fixtures.CardIds);

    [Theory]
    [MemberData(nameof(Fixtures.All), MemberType = typeof(Fixtures))]
    public async Task Load_EveryFixture_ReadsItsState(string cardId)
    {
        var repository = new FileSystemCheckpointRepository(Fixtures.CopyTo(_temp.Path));

        var checkpoint = await repository.LoadAsync(cardId);

        var json = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Fixtures.Directory, cardId + ".json")))!;
        checkpoint!.CardId.Should().Be(cardId);
        checkpoint.Version.Should().Be(0);
        checkpoint.CompletedStages.Should().Equal(json["completed_stages"]!.AsArray().Select(n => n!.GetValue<string>()));
        checkpoint.StageCheckpoints.Keys.Should().Equal(json["stage_checkpoints"]!.AsObject().Select(p => p.Key));
        checkpoint.TotalStages.Should().Be(json["total_stages"]!.GetValue<int>());
        checkpoint.StagesCompleted.Should().Be(json["stages_completed"]!.GetValue<int>());
        checkpoint.Status.ToString().ToLowerInvariant().Should().Be(json["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Load_NaiveTimestamps_AreLocalTime()
    {
        var repository = new FileSystemCheckpointRepository(Fixtures.CopyTo(_temp.Path));

        var checkpoint = await repository.LoadAsync("card-active-midrun");

        var expected = new DateTime(2025, 10, 23, 9, 30, 0, DateTimeKind.Local);
        checkpoint!.StageCheckpoints["requirements"].StartTime.Should().Be(new DateTimeOffset(expected));
    }

    [Fact]
    public async Task Load_FailedFixture_KeepsErrorMessageAndUnicode()
    {
        var repository = new FileSystemCheckpointRepository(Fixtures.CopyTo(_temp.Path));

        var checkpoint = (await repository.LoadAsync("card-failed"))!;

        checkpoint.FailedStages.Should().ContainSingle();
        checkpoint.StageCheckpoints[checkpoint.FailedStages[0]].ErrorMessage.Should().Contain("\n");
        checkpoint.Metadata.Should().ContainKey("failure_reason");
        checkpoint.SkippedStages.Should().ContainSingle();
    }

    [Theory]
    [MemberData(nameof(Fixtures.All), MemberType = typeof(Fixtures))]
    public async Task RoundTrip_EveryFixture_KeepsEveryFieldUnchanged(string cardId)
    {
        var repository = new FileSystemCheckpointRepository(Fixtures.CopyTo(_temp.Path));
        var checkpoint = (await repository.LoadAsync(cardId))!;

        var buffer = new ArrayBufferWriter<byte>();
        CheckpointJsonWriter.WriteSnapshot(buffer, checkpoint, journalId: null);

        var original = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Fixtures.Directory, cardId + ".json")))!;
        var written = JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
        written["schema_version"]!.GetValue<int>().Should().Be(1);
        foreach (var key in AddedKeys)
        {
            written.Remove(key);
        }

        Normalize(written).ToJsonString().Should().Be(Normalize(original).ToJsonString());
    }

    [Theory]
    [InlineData("card-active-midrun")]
    [InlineData("card-resumed")]
    [InlineData("card-failed")]
    [InlineData("card-fresh")]
    public async Task Resume_ResumableFixture_ResumesAndRebuildsCache(string cardId)
    {
        await using var manager = new CheckpointManager(cardId, new FileSystemCheckpointRepository(Fixtures.CopyTo(_temp.Path)));

        (await manager.CanResumeAsync()).Should().BeTrue();
        var resumed = await manager.ResumeAsync();

        resumed!.Status.Should().Be(CheckpointStatus.Resumed);
        foreach (var stage in resumed.StageCheckpoints.Values)
        {
            foreach (var response in stage.LlmResponses)
            {
                manager.GetCachedLlmResponse(stage.StageName, response.Prompt, response.Model).Should().NotBeNull();
            }
        }
    }

    [Fact]
    public async Task Resume_CompletedFixture_IsRefused()
    {
        await using var manager = new CheckpointManager("card-completed", new FileSystemCheckpointRepository(Fixtures.CopyTo(_temp.Path)));

        (await manager.CanResumeAsync()).Should().BeFalse();
        (await manager.ResumeAsync()).Should().BeNull();
    }

    [Fact]
    public async Task Resume_ThenSave_KeepsUnknownFieldsOfPythonResponses()
    {
        var directory = Fixtures.CopyTo(_temp.Path);
        await using (var manager = new CheckpointManager("card-active-midrun", new FileSystemCheckpointRepository(directory)))
        {
            await manager.ResumeAsync();
            await manager.SaveStageCheckpointAsync("code_review", StageStatus.Completed, result: new { summary = "lgtm" });
        }

        var json = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "card-active-midrun.json")))!;
        var first = json["stage_checkpoints"]!["requirements"]!["llm_responses"]![0]!;
        first["tokens"]!["prompt"]!.GetValue<int>().Should().Be(120);
        first["cost_usd"]!.GetValue<double>().Should().Be(0.0012);
        json["completed_stages"]!.AsArray().Should().HaveCount(4);
    }

    [Fact]
    public async Task WrittenFile_LoadsWithThePythonManagersLoader()
    {
        var directory = Fixtures.CopyTo(_temp.Path);
        await using (var manager = new CheckpointManager("card-failed", new FileSystemCheckpointRepository(directory)))
        {
            await manager.ResumeAsync();
            await manager.SaveStageCheckpointAsync("retry-é", StageStatus.Completed, result: new { ok = true }, llmResponses: [Stages.Response("p", "a")]);
            await manager.MarkCompletedAsync();
        }

        var output = await RunPythonLoaderAsync(Path.Combine(directory, "card-failed.json"));

        output.Should().Contain("status=completed").And.Contain("retry-é");
    }

    private static async Task<string> RunPythonLoaderAsync(string path)
    {
        // Reads the keys the fixtures' README lists, the way the Python manager does (json.load + datetime.fromisoformat).
        const string Loader = """
            import json, sys
            from datetime import datetime
            with open(sys.argv[1], encoding="utf-8") as f:
                d = json.load(f)
            for k in ("created_at", "updated_at", "last_resume_time"):
                if d.get(k): datetime.fromisoformat(d[k])
            assert d["status"] in ("active", "paused", "completed", "failed", "resumed")
            for name, s in d["stage_checkpoints"].items():
                assert s["stage_name"] == name
                datetime.fromisoformat(s["start_time"])
                if s.get("end_time"): datetime.fromisoformat(s["end_time"])
                float(s["duration_seconds"]); int(s["retry_count"])
                for r in s["llm_responses"]: r["prompt"]
            for k in ("checkpoint_id", "card_id", "completed_stages", "failed_stages", "skipped_stages", "current_stage",
                      "execution_context", "total_stages", "stages_completed", "total_duration_seconds",
                      "estimated_remaining_seconds", "resume_count", "metadata"):
                d[k]
            print("status=" + d["status"], ",".join(d["completed_stages"]))
            """;
        var info = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Loader);
        info.ArgumentList.Add(path);
        info.Environment["PYTHONIOENCODING"] = "utf-8";
        using var process = Process.Start(info)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(0, stderr);
        return stdout;
    }

    /// <summary>Makes equal values compare equal: timestamps as UTC instants, numbers as doubles.</summary>
    private static JsonNode Normalize(JsonNode node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, p.Value is null ? null : (JsonNode?)Normalize(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(n => n is null ? null : Normalize(n))]),
        JsonValue value when value.TryGetValue(out string? text) && text.Length >= 19 && text[4] == '-' && text[10] == 'T'
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var instant)
            => JsonValue.Create(instant.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)),
        JsonValue value when value.TryGetValue(out double number) => JsonValue.Create(number),
        _ => node.DeepClone(),
    };
}
