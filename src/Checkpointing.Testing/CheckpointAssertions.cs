using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Xunit.Sdk;

namespace Checkpointing.Testing;

/// <summary>
/// Compares checkpoints by the state they hold, as a store must keep it: every field, every stage in the order first
/// recorded, every LLM response in order, and every JSON value by meaning.
/// </summary>
/// <remarks>
/// What a store may change without failing the comparison: the order of keys in dictionaries and JSON objects, the
/// spelling of JSON strings (escapes), the offset of timestamps (the instant counts), and anything finer than a
/// microsecond in timestamps and durations. Records compare their collections by reference, so use this rather than
/// <c>==</c>.
/// <para>
/// The canonical text is written here, field by field, and not by the library's own JSON codec on purpose: a test
/// oracle that shared the codec would share its bugs (a field the writer drops would be dropped on both sides of the
/// comparison and pass).
/// </para>
/// </remarks>
public static class CheckpointAssertions
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        MaxDepth = 1024,
    };

    /// <summary>Returns the canonical text of a checkpoint: equal texts mean equal stored state.</summary>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <returns>Indented JSON with sorted keys, UTC timestamps and durations in whole microseconds.</returns>
    public static string Canonicalize(PipelineCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("checkpoint_id", checkpoint.CheckpointId);
            writer.WriteString("card_id", checkpoint.CardId);
            writer.WriteNumber("version", checkpoint.Version);
            writer.WriteString("status", checkpoint.Status.ToString());
            WriteTimestamp(writer, "created_at", checkpoint.CreatedAt);
            WriteTimestamp(writer, "updated_at", checkpoint.UpdatedAt);
            WriteStrings(writer, "completed_stages", checkpoint.CompletedStages);
            WriteStrings(writer, "failed_stages", checkpoint.FailedStages);
            WriteStrings(writer, "skipped_stages", checkpoint.SkippedStages);
            writer.WriteString("current_stage", checkpoint.CurrentStage);
            writer.WriteStartArray("stage_checkpoints");
            foreach (var (name, stage) in checkpoint.StageCheckpoints)
            {
                writer.WriteStartObject();
                writer.WriteString("key", name);
                WriteStage(writer, stage);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            WriteMap(writer, "execution_context", checkpoint.ExecutionContext);
            writer.WriteNumber("total_stages", checkpoint.TotalStages);
            writer.WriteNumber("stages_completed", checkpoint.StagesCompleted);
            WriteDuration(writer, "total_duration", checkpoint.TotalDuration);
            WriteDuration(writer, "estimated_remaining", checkpoint.EstimatedRemaining);
            writer.WriteNumber("resume_count", checkpoint.ResumeCount);
            WriteTimestamp(writer, "last_resume_time", checkpoint.LastResumeTime);
            WriteMap(writer, "metadata", checkpoint.Metadata);
            writer.WriteStartObject("pending_llm_responses");
            foreach (var (stageName, responses) in checkpoint.PendingLlmResponses.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.WritePropertyName(stageName);
                WriteResponses(writer, responses);
            }

            writer.WriteEndObject();
            WriteMap(writer, "additional_properties", checkpoint.AdditionalProperties);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Fails the test unless <paramref name="actual"/> holds the same state as <paramref name="expected"/>.</summary>
    /// <param name="actual">The checkpoint a store returned.</param>
    /// <param name="expected">The checkpoint it should have returned.</param>
    /// <param name="because">Why it should, for the failure message.</param>
    /// <exception cref="XunitException">The states differ; the message shows where.</exception>
    public static void ShouldMatch(this PipelineCheckpoint? actual, PipelineCheckpoint expected, string because = "")
    {
        ArgumentNullException.ThrowIfNull(expected);
        var reason = string.IsNullOrEmpty(because) ? string.Empty : $" ({because})";
        if (actual is null)
        {
            throw new XunitException($"Expected the checkpoint of card '{expected.CardId}' at version {expected.Version}{reason}, but found none.");
        }

        var actualText = Canonicalize(actual);
        var expectedText = Canonicalize(expected);
        if (string.Equals(actualText, expectedText, StringComparison.Ordinal))
        {
            return;
        }

        var at = 0;
        var shortest = Math.Min(actualText.Length, expectedText.Length);
        while (at < shortest && actualText[at] == expectedText[at])
        {
            at++;
        }

        throw new XunitException(
            $"Checkpoint of card '{expected.CardId}' differs from the expected state{reason} at character {at} of its canonical form "
            + $"(expected {expectedText.Length} characters, found {actualText.Length}).{Environment.NewLine}"
            + $"Expected: ...{Excerpt(expectedText, at)}...{Environment.NewLine}"
            + $"Found:    ...{Excerpt(actualText, at)}...");
    }

    /// <summary>Returns the canonical text of an LLM response: equal texts mean equal responses, extra fields included.</summary>
    /// <param name="response">The response.</param>
    /// <returns>Compact JSON with sorted extra fields.</returns>
    public static string Canonicalize(LlmResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteResponses(writer, [response]);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Fails the test unless the responses are the same, in the same order (records compare extra fields by reference).</summary>
    /// <param name="actual">The responses found.</param>
    /// <param name="expected">The responses expected.</param>
    /// <param name="because">Why, for the failure message.</param>
    /// <exception cref="XunitException">They differ.</exception>
    public static void ShouldMatch(this IEnumerable<LlmResponse>? actual, IEnumerable<LlmResponse> expected, string because = "")
    {
        ArgumentNullException.ThrowIfNull(expected);
        var actualTexts = actual?.Select(Canonicalize).ToList();
        var expectedTexts = expected.Select(Canonicalize).ToList();
        if (actualTexts is null || !actualTexts.SequenceEqual(expectedTexts, StringComparer.Ordinal))
        {
            throw new XunitException(
                $"Expected LLM responses{(string.IsNullOrEmpty(because) ? string.Empty : $" ({because})")}:{Environment.NewLine}  "
                + string.Join(Environment.NewLine + "  ", expectedTexts) + $"{Environment.NewLine}but found:{Environment.NewLine}  "
                + (actualTexts is null ? "null" : string.Join(Environment.NewLine + "  ", actualTexts)));
        }
    }

    /// <summary>Fails the test unless the response is the same as <paramref name="expected"/>.</summary>
    /// <param name="actual">The response found.</param>
    /// <param name="expected">The response expected.</param>
    /// <param name="because">Why, for the failure message.</param>
    /// <exception cref="XunitException">They differ.</exception>
    public static void ShouldMatch(this LlmResponse? actual, LlmResponse expected, string because = "") =>
        (actual is null ? null : new[] { actual }).ShouldMatch([expected], because);

    private static string Excerpt(string text, int at)
    {
        var start = Math.Max(0, at - 300);
        var end = Math.Min(text.Length, at + 300);
        return text[start..end];
    }

    private static void WriteStage(Utf8JsonWriter writer, StageCheckpoint stage)
    {
        writer.WriteString("stage_name", stage.StageName);
        writer.WriteString("status", stage.Status.ToString());
        WriteTimestamp(writer, "start_time", stage.StartTime);
        WriteTimestamp(writer, "end_time", stage.EndTime);
        WriteDuration(writer, "duration", stage.Duration);
        writer.WritePropertyName("result");
        if (stage.Result is { } result)
        {
            WriteCanonical(writer, result);
        }
        else
        {
            writer.WriteNullValue();
        }

        WriteStrings(writer, "artifacts", stage.Artifacts);
        writer.WritePropertyName("llm_responses");
        WriteResponses(writer, stage.LlmResponses);
        writer.WriteString("error_message", stage.ErrorMessage);
        writer.WriteNumber("retry_count", stage.RetryCount);
        WriteMap(writer, "metadata", stage.Metadata);
        WriteMap(writer, "additional_properties", stage.AdditionalProperties);
    }

    private static void WriteResponses(Utf8JsonWriter writer, IReadOnlyList<LlmResponse> responses)
    {
        writer.WriteStartArray();
        foreach (var response in responses)
        {
            writer.WriteStartObject();
            writer.WriteString("prompt", response.Prompt);
            writer.WriteString("response", response.Response);
            writer.WriteString("model", response.Model);
            if (response.Usage is { } usage)
            {
                writer.WriteStartObject("usage");
                writer.WriteNumber("prompt_tokens", usage.PromptTokens);
                writer.WriteNumber("completion_tokens", usage.CompletionTokens);
                writer.WriteString("cost", usage.Cost?.ToString("G29", CultureInfo.InvariantCulture));
                writer.WriteString("currency", usage.Currency);
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteNull("usage");
            }

            writer.WriteString("finish_reason", response.FinishReason);
            writer.WriteString("request_key", response.RequestKey);
            WriteMap(writer, "additional_properties", response.AdditionalProperties);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static void WriteMap(Utf8JsonWriter writer, string name, IReadOnlyDictionary<string, JsonElement> values)
    {
        writer.WriteStartObject(name);
        foreach (var (key, value) in values.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.WritePropertyName(key);
            WriteCanonical(writer, value);
        }

        writer.WriteEndObject();
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteCanonical(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteCanonical(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(value.GetString());
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }

    private static void WriteTimestamp(Utf8JsonWriter writer, string name, DateTimeOffset? value)
    {
        if (value is { } timestamp)
        {
            var ticks = timestamp.UtcTicks - (timestamp.UtcTicks % 10);
            writer.WriteString(name, new DateTime(ticks, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static void WriteDuration(Utf8JsonWriter writer, string name, TimeSpan value) =>
        writer.WriteNumber(name, (long)Math.Round(value.Ticks / 10.0, MidpointRounding.AwayFromZero));
}
