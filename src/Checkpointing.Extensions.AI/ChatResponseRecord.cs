using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Checkpointing;

/// <summary>
/// Turns a <see cref="ChatResponse"/> into the stage's <see cref="LlmResponse"/> record and back: the readable fields
/// (prompt, text, model, usage, finish reason) where the checkpoint file has them, the whole response beside them in
/// the record's <c>chat_response</c> field, which the Python manager keeps and ignores.
/// </summary>
internal sealed class ChatResponseRecord
{
    /// <summary>The field of the LLM response record that holds the whole response.</summary>
    public const string FieldName = "chat_response";

    private readonly CheckpointingChatClientOptions _options;

    public ChatResponseRecord(CheckpointingChatClientOptions options) => _options = options;

    /// <summary>Makes the record of a response to <paramref name="request"/>.</summary>
    /// <returns>The record; truncated, filtered or failed answers carry a finish reason that keeps them out of the cache.</returns>
    public LlmResponse ToRecord(LlmRequest request, ChatResponse response)
    {
        var whole = JsonSerializer.SerializeToElement(response, _options.SerializerOptions.GetTypeInfo(typeof(ChatResponse)));
        return new LlmResponse(request.PromptText, response.Text)
        {
            Model = response.ModelId ?? request.Model,
            Usage = ToUsage(response),
            FinishReason = FinishReasonOf(response),
            AdditionalProperties = ImmutableDictionary<string, JsonElement>.Empty.Add(FieldName, whole),
        };
    }

    /// <summary>Reads the response back from its record.</summary>
    /// <returns>The stored response, equal to the one recorded; a record written without it gives its text as one assistant message.</returns>
    public ChatResponse FromRecord(LlmResponse record)
    {
        if (record.AdditionalProperties.TryGetValue(FieldName, out var whole) && whole.ValueKind == JsonValueKind.Object
            && whole.Deserialize(_options.SerializerOptions.GetTypeInfo(typeof(ChatResponse))) is ChatResponse stored)
        {
            return stored;
        }

        return new ChatResponse(new ChatMessage(ChatRole.Assistant, record.Response))
        {
            ModelId = record.Model,
            FinishReason = record.FinishReason is { } reason ? new ChatFinishReason(reason) : null,
            Usage = record.Usage is { } usage
                ? new UsageDetails { InputTokenCount = usage.PromptTokens, OutputTokenCount = usage.CompletionTokens, TotalTokenCount = usage.TotalTokens }
                : null,
        };
    }

    private LlmUsage? ToUsage(ChatResponse response)
    {
        var cost = _options.EstimateCost?.Invoke(response);
        if (response.Usage is null && cost is null)
        {
            return null;
        }

        return new LlmUsage(response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0, cost, cost is null ? null : _options.Currency);
    }

    /// <summary>The finish reason as stored: an error content anywhere makes it <c>error</c>, which is never reused.</summary>
    private static string? FinishReasonOf(ChatResponse response) =>
        response.Messages.Any(m => m.Contents.Any(c => c is ErrorContent)) ? "error" : response.FinishReason?.Value;
}
