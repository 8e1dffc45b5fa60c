using System.Text;
using System.Text.Json;
using Checkpointing.Json;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Json;

/// <summary>
/// The typed field reads every stored document goes through: the ranges a value may take (a counter and a version
/// must leave room for one more), and the file, byte offset and field every refusal names.
/// </summary>
public sealed class JsonFieldsTests
{
    private static readonly JsonReadContext Context = new("/cards/c.journal", 1000);

    [Theory]
    [InlineData("0", 0)]
    [InlineData("2147483646", int.MaxValue - 1)]
    public void Counter_FromZeroToOneBelowTheMaximum_IsRead(string json, int expected) =>
        JsonFields.GetCounter(Element(json), "retry_count", Context).Should().Be(expected);

    [Theory]
    [InlineData("-1")]
    [InlineData("2147483647")]
    public void Counter_ThatCannotGoOn_IsRefusedNamingTheField(string json)
    {
        var error = Refused(() => JsonFields.GetCounter(Element(json), "retry_count", Context));

        error.Message.Should().Contain($"retry_count: {json} is not a count the library can go on from");
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("9223372036854775806", long.MaxValue - 1)]
    public void Version_FromZeroToOneBelowTheMaximum_IsRead(string json, long expected) =>
        JsonFields.GetVersion(Element(json), "version", Context).Should().Be(expected);

    [Theory]
    [InlineData("-1")]
    [InlineData("9223372036854775807")]
    public void Version_ThatCannotGoOn_IsRefusedNamingTheField(string json) =>
        Refused(() => JsonFields.GetVersion(Element(json), "version", Context)).Message
            .Should().Contain($"version: {json} is not a version the library can go on from");

    [Theory]
    [InlineData("1.5", 15_000_000)]
    [InlineData("-2", -20_000_000)]
    [InlineData("0.00000016", 2)]
    [InlineData("null", 0)]
    public void Seconds_AreReadToTheNearestTick(string json, long ticks) =>
        JsonFields.GetSeconds(Element(json), "duration_seconds", Context).Ticks.Should().Be(ticks);

    [Theory]
    [InlineData("1e300")]
    [InlineData("-1e300")]
    [InlineData("\"1\"")]
    [InlineData("true")]
    public void Seconds_OutOfRangeOrNotANumber_AreRefused(string json) =>
        Refused(() => JsonFields.GetSeconds(Element(json), "duration_seconds", Context)).Message
            .Should().Contain("duration_seconds: expected a number of seconds");

    [Fact]
    public void Seconds_UpToWhatATimeSpanHolds_AreRead_AndOnePastIsRefused()
    {
        // TimeSpan.MaxValue in seconds, as a double, is 2^63 ticks: one past the largest long, read as TimeSpan.MaxValue.
        var limit = TimeSpan.MaxValue.TotalSeconds;

        Seconds(limit).Should().Be(TimeSpan.MaxValue);
        Seconds(-limit).Should().Be(TimeSpan.MinValue);
        Seconds(Math.BitDecrement(limit)).Ticks.Should().Be((long)Math.Round(Math.BitDecrement(limit) * TimeSpan.TicksPerSecond)).And.BeLessThan(long.MaxValue);
        Refused(() => Seconds(Math.BitIncrement(limit))).Message.Should().EndWith("duration_seconds: expected a number of seconds, found Number");
        Refused(() => Seconds(-Math.BitIncrement(limit)));

        static TimeSpan Seconds(double value) =>
            JsonFields.GetSeconds(Element(value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)), "duration_seconds", Context);
    }

    [Fact]
    public void LargestAndSmallestDurations_ReadBackAsWritten()
    {
        var written = CheckpointJson.DeserializeCheckpoint(Encoding.UTF8.GetBytes(Support.PythonStyleCard.Document(Support.PythonStyleCard.Stage("s"))), "f")
            with { TotalDuration = TimeSpan.MaxValue, EstimatedRemaining = TimeSpan.MinValue };

        var read = CheckpointJson.DeserializeCheckpoint(CheckpointJson.SerializeCheckpoint(written), "f");

        read.TotalDuration.Should().Be(TimeSpan.MaxValue);
        read.EstimatedRemaining.Should().Be(TimeSpan.MinValue);
    }

    [Fact]
    public void TimestampWithoutAnOffset_IsTheWritersLocalTime()
    {
        var read = JsonFields.GetTimestamp(Element("\"2026-04-01T12:00:00\""), "created_at", Context);

        read.Should().Be(new DateTimeOffset(new DateTime(2026, 4, 1, 12, 0, 0, DateTimeKind.Local)));
        Refused(() => JsonFields.GetTimestamp(Element("\"yesterday\""), "created_at", Context)).Message
            .Should().Contain("created_at: 'yesterday' is not an ISO 8601 timestamp");
    }

    [Theory]
    [InlineData("null", new string[0])]
    [InlineData("[\"a\", \"b\"]", new[] { "a", "b" })]
    public void StageNames_NullIsNone(string json, string[] expected) =>
        JsonFields.GetStageNames(Element(json), "completed_stages", Context).Should().Equal(expected);

    [Theory]
    [InlineData("[\"a\", \" \"]")]
    [InlineData("[\"\"]")]
    public void StageNames_EmptyOrWhiteSpace_AreRefused(string json) =>
        Refused(() => JsonFields.GetStageNames(Element(json), "completed_stages", Context)).Message
            .Should().Contain("completed_stages: a stage name is empty or white space");

    [Fact]
    public void WrongType_NamesTheFieldWhatWasExpectedAndWhatWasFound()
    {
        var error = Refused(() => JsonFields.GetString(Element("12"), "card_id", Context));

        error.Message.Should().Contain("card_id: expected a string, found Number");
        error.Offset.Should().Be(1000);
        error.Path.Should().Be("/cards/c.journal");
        Refused(() => JsonFields.GetInt32(Element("2147483648"), "n", Context)).Message.Should().Contain("n: expected a 32-bit integer");
        Refused(() => JsonFields.GetInt64(Element("1.5"), "n", Context)).Message.Should().Contain("n: expected an integer");
        Refused(() => JsonFields.GetStrings(Element("[1]"), "artifacts", Context)).Message.Should().Contain("artifacts[]: expected a string");
        Refused(() => JsonFields.GetMap(Element("[]"), "metadata", Context)).Message.Should().Contain("metadata: expected an object, found Array");
        Refused(() => JsonFields.GetStrings(Element("\"a\""), "artifacts", Context)).Message.Should().EndWith("artifacts: expected an array of strings, found String");
    }

    [Fact]
    public void NullMap_IsEmpty() => JsonFields.GetMap(Element("null"), "metadata", Context).Should().BeEmpty();

    [Theory]
    [InlineData("{\"a\": tru}")]
    [InlineData("{\n  \"a\": 1,\n  \"b\": x\n}")]
    [InlineData("{\r\n\"a\":\r\n[1,,2]}")]
    public void SyntaxError_IsReportedAtItsByte_CountedFromTheDocumentsOffset(string json)
    {
        var utf8 = Encoding.UTF8.GetBytes(json);
        var parseError = FluentActions.Invoking(() => JsonDocument.Parse(utf8)).Should().Throw<JsonException>().Which;
        var (line, column) = (parseError.LineNumber!.Value, parseError.BytePositionInLine!.Value);
        var lineStart = 0;
        for (var i = 0; i < line; i++)
        {
            lineStart = json.IndexOf('\n', lineStart) + 1;
        }

        var error = Refused(() => JsonFields.Parse(utf8, Context));

        error.Offset.Should().Be(1000 + lineStart + column);
        error.Message.Should().Contain($"not valid JSON (line {line + 1}, byte {column + 1} of the line)");
        JsonFields.OffsetOf(utf8, line, column).Should().Be(lineStart + column);
        line.Should().Be(json.Contains('\n', StringComparison.Ordinal) ? 2 : 0, "the test must cover errors past the first line");
    }

    [Fact]
    public void OffsetOf_APositionPastTheEnd_IsTheEnd()
    {
        JsonFields.OffsetOf("ab\ncd"u8, 5, 1).Should().Be(4, "there are only two lines: the last one, as far as it goes");
        JsonFields.OffsetOf("ab\ncd"u8, 1, 10).Should().Be(5);
        JsonFields.OffsetOf("ab\ncd"u8, 1, 1).Should().Be(4);
    }

    [Fact]
    public void OffsetOf_CountsEmptyLines() => JsonFields.OffsetOf("a\n\n\nb"u8, 3, 0).Should().Be(4);

    [Fact]
    public void EmptyFile_AndAByteOrderMark_AreRefusedBeforeParsing()
    {
        Refused(() => JsonFields.Parse(Array.Empty<byte>(), Context)).Message.Should().Contain("document: the file is empty (zero bytes)");
        Refused(() => JsonFields.Parse(new byte[] { 0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}' }, Context)).Message
            .Should().EndWith("document: the file starts with a UTF-8 byte order mark, which checkpoint files never have");
        JsonFields.Parse("{}"u8.ToArray(), Context).RootElement.ValueKind.Should().Be(JsonValueKind.Object);
    }

    [Fact]
    public void UndecodableString_IsReportedAtItsByte_CountedFromTheDocumentsOffset()
    {
        var json = "{\"a\": \"x\\udc00\"}"u8.ToArray();

        var error = Refused(() => JsonFields.Parse(json, Context));

        error.Offset.Should().Be(1000 + 8);
        error.Message.Should().Contain("lone low surrogate");
        Refused(() => JsonFields.Parse(json, new JsonReadContext("f"))).Offset.Should().Be(8, "a document without an offset starts at byte 0");
    }

    [Theory]
    [InlineData("{\"\\udc00\":1}", 2, "a string holds a \\u escape of a lone low surrogate, which has no UTF-8 form")]
    [InlineData("{\"x\":1,\"\\ud800\":1}", 8, "a string holds a \\u escape of a lone high surrogate, which has no UTF-8 form")]
    public void UndecodablePropertyName_IsReportedAtItsEscape_CountedFromTheDocumentsOffset(string json, long at, string problem)
    {
        // On .NET 9 and later the parser decodes property names to refuse duplicates, and fails on these.
        var utf8 = Encoding.UTF8.GetBytes(json);

        var error = Refused(() => JsonFields.Parse(utf8, Context));

        error.Message.Should().Be($"Checkpoint file '/cards/c.journal' is corrupted at byte {1000 + at}: {problem}");
        error.Offset.Should().Be(1000 + at);
        Refused(() => JsonFields.Parse(utf8, new JsonReadContext("f"))).Offset.Should().Be(at, "a document without an offset starts at byte 0");
    }

    [Fact]
    public void TooDeepNesting_IsRefused()
    {
        var deep = new string('[', JsonFields.MaxDepth + 1) + new string(']', JsonFields.MaxDepth + 1);
        var fits = new string('[', JsonFields.MaxDepth) + new string(']', JsonFields.MaxDepth);

        Refused(() => JsonFields.Parse(Encoding.UTF8.GetBytes(deep), Context));
        JsonFields.Parse(Encoding.UTF8.GetBytes(fits), Context).Should().NotBeNull();
    }

    private static JsonElement Element(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static CheckpointCorruptedException Refused(Action act) => act.Should().Throw<CheckpointCorruptedException>().Which;

    private static CheckpointCorruptedException Refused(Func<object?> act) => act.Should().Throw<CheckpointCorruptedException>().Which;
}
