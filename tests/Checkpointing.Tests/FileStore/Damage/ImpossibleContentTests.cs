using System.Text;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore.Damage;

/// <summary>Content the library never writes is refused at load with a typed error, never accepted or wrapped around.</summary>
public sealed class ImpossibleContentTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string, string> ImpossibleDocuments() => new()
    {
        { PythonStyleCard.Document([("", PythonStyleCard.Stage(""))]), "empty stage name" },
        { PythonStyleCard.Document([(" ", PythonStyleCard.Stage(" "))]), "white-space stage name" },
        { PythonStyleCard.Document([("s", PythonStyleCard.Stage("s"))]).Replace("\"completed_stages\":[\"s\"]", "\"completed_stages\":[\"s\",\"\"]", StringComparison.Ordinal), "empty name listed as completed" },
        { PythonStyleCard.Document(PythonStyleCard.Stage("s"), ",\"version\":9223372036854775807"), "version at its limit" },
        { PythonStyleCard.Document(PythonStyleCard.Stage("s"), ",\"version\":-1"), "negative version" },
        { PythonStyleCard.Document(PythonStyleCard.Stage("s")).Replace("\"resume_count\":0", "\"resume_count\":2147483647", StringComparison.Ordinal), "resume count at its limit" },
        { PythonStyleCard.Document(PythonStyleCard.Stage("s")).Replace("\"resume_count\":0", "\"resume_count\":-3", StringComparison.Ordinal), "negative resume count" },
        { PythonStyleCard.Document(PythonStyleCard.Stage("s")).Replace("\"retry_count\":0", "\"retry_count\":2147483647", StringComparison.Ordinal), "retry count at its limit" },
        { PythonStyleCard.Document(PythonStyleCard.Stage("s")).Replace("\"current_stage\":null", "\"current_stage\":\"\"", StringComparison.Ordinal), "empty current stage" },
        { PythonStyleCard.Document([("a", PythonStyleCard.Stage("a")), ("b", PythonStyleCard.Stage("b"))]).Replace("\"duration_seconds\":1.5", "\"duration_seconds\":900000000000", StringComparison.Ordinal), "durations summing past a TimeSpan" },
    };

    [Theory]
    [MemberData(nameof(ImpossibleDocuments))]
    public async Task ImpossibleSnapshot_IsRefusedAtLoad(string document, string what)
    {
        var directory = PythonStyleCard.Write(_temp.Combine("card"), document);

        var error = await DamagedCard.AssertRefusedAsync(directory);

        error.Should().BeOfType<CheckpointCorruptedException>(what);
    }

    public static TheoryData<string, string> ImpossibleRecords() => new()
    {
        { "{\"v\":2,\"t\":\"2026-04-01T12:05:00+00:00\",\"type\":\"current_stage\",\"stage_name\":\" \"}", "white-space stage name" },
        { "{\"v\":2,\"t\":\"2026-04-01T12:05:00+00:00\",\"type\":\"status\",\"status\":\"completed\",\"reason\":null}", "a record after completion" },
        { "{\"v\":-9223372036854775808,\"t\":\"2026-04-01T12:05:00+00:00\",\"type\":\"resumed\"}", "a version wrapped around" },
        { "{\"v\":2,\"t\":\"2026-04-01T12:05:00+00:00\",\"type\":\"stage\",\"stage\":" + PythonStyleCard.Stage("big").Replace("1.5", "900000000000", StringComparison.Ordinal) + "}", "a duration overflowing the total" },
    };

    [Theory]
    [MemberData(nameof(ImpossibleRecords))]
    public async Task ImpossibleJournalRecord_IsRefusedAtLoad(string forged, string what)
    {
        var directory = _temp.Combine("card");
        var (_, journalPath, _) = await DamagedCard.WriteAsync(directory, DamagedCard.Stage("s-1") with { Duration = TimeSpan.FromDays(10_000_000) });
        var journal = await File.ReadAllBytesAsync(journalPath);
        var end = (int)DamagedCard.RecordsEnd(journal);

        // Renumber the forged record to follow the stage record (version 2), then, for "after completion", add one more.
        var first = PythonStyleCard.Record(Encoding.UTF8.GetBytes(forged.Replace("\"v\":2,", "\"v\":3,", StringComparison.Ordinal)));
        first.CopyTo(journal, end);
        if (what == "a record after completion")
        {
            PythonStyleCard.Record(Encoding.UTF8.GetBytes("{\"v\":4,\"t\":\"2026-04-01T12:06:00+00:00\",\"type\":\"resumed\"}")).CopyTo(journal, end + first.Length);
        }

        await File.WriteAllBytesAsync(journalPath, journal);

        (await DamagedCard.AssertRefusedAsync(directory)).Should().BeOfType<CheckpointCorruptedException>(what);
    }

    [Fact]
    public async Task AfterMarkCompleted_TheManagerRecordsNothingMore_SoItNeverWritesWhatItWouldRefuse()
    {
        var directory = _temp.Combine("card");
        var manager = new CheckpointManager(DamagedCard.CardId, new FileSystemCheckpointRepository(directory));
        await using (manager)
        {
            await manager.CreateCheckpointAsync(1);
            await manager.MarkCompletedAsync();
            var files = DamagedCard.Files(directory);

            await manager.Invoking(m => m.SaveStageCheckpointAsync("late", StageStatus.Completed)).Should().ThrowAsync<InvalidOperationException>();
            await manager.Invoking(m => m.PauseAsync()).Should().ThrowAsync<InvalidOperationException>();

            DamagedCard.AssertSameFiles(directory, files, "nothing was written");
        }

        (await new FileSystemCheckpointRepository(directory).LoadAsync(DamagedCard.CardId))!.Status.Should().Be(CheckpointStatus.Completed);
    }
}
