using System.Collections.Immutable;
using System.Text.Json;
using Checkpointing.Pipeline;
using N = Checkpointing.Json.CheckpointJsonNames;
using static Checkpointing.Json.JsonFields;

namespace Checkpointing.Json;

// Reading LLM responses, in stage records and written ahead. (The class is documented in CheckpointJsonReader.cs.)
internal static partial class CheckpointJsonReader
{
    /// <summary>Reads one LLM response; only <c>prompt</c> is required, as in the Python manager.</summary>
    public static LlmResponse ReadResponse(JsonElement element, string path, in JsonReadContext context)
    {
        RequireKind(element, JsonValueKind.Object, path, "an object", context);
        var fields = new FieldSet(context, path);
        var texts = context.Texts;
        string? prompt = null, response = null, model = null, finishReason = null, requestKey = null;
        StoredJsonString storedPrompt = default, storedText = default;
        JsonElement? storedResponse = null;
        LlmUsage? usage = null;
        foreach (var property in element.EnumerateObject())
        {
            var name = property.Name;
            var value = property.Value;
            // Stryker disable once Statement : a no-op on .NET 9 and later, where the parser refuses duplicate keys
            fields.Add(name);
            switch (name)
            {
                case N.Usage when TryReadUsage(value) is { } parsed: usage = parsed; break;
                case N.FinishReason when value.ValueKind == JsonValueKind.String: finishReason = value.GetString(); break;
                case N.RequestKey when value.ValueKind == JsonValueKind.String: requestKey = value.GetString(); break;
                case N.Prompt when texts is not null && value.ValueKind == JsonValueKind.String:
                    storedPrompt = texts.Resolve(value);
                    // Stryker disable once String : marks the prompt present only; a stored prompt is read from storedPrompt
                    prompt = string.Empty;
                    break;
                case N.Prompt: prompt = GetString(value, path + "." + name, context); break;
                case N.Response when texts is not null && value.ValueKind == JsonValueKind.String: storedText = texts.Resolve(value); break;
                case N.Response when value.ValueKind == JsonValueKind.String: response = value.GetString(); break;
                case N.Response: storedResponse = value.Clone(); break; // not a string: kept and written back as it is
                case N.Model when value.ValueKind is JsonValueKind.String or JsonValueKind.Null: model = value.GetString(); break;
                default: fields.AddUnknown(name, value); break;
            }
        }

        if (prompt is null)
        {
            throw context.Corrupt(path + "." + N.Prompt, "required field is missing");
        }

        // With texts cut out of the document, every string prompt and response is one of them (StoredJsonString).
        var read = storedResponse is { } notText ? new LlmResponse(storedPrompt.IsEmpty ? prompt : storedPrompt.Decode(), notText)
            : storedPrompt.IsEmpty ? new LlmResponse(prompt, response ?? string.Empty)
            : new LlmResponse(storedPrompt, storedText);
        return read with
        {
            Model = model,
            Usage = usage,
            FinishReason = finishReason,
            RequestKey = requestKey,
            AdditionalProperties = fields.Unknown,
        };
    }

    /// <summary>Reads a usage object this library wrote; anything else is kept as an unknown field instead.</summary>
    private static LlmUsage? TryReadUsage(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        long? promptTokens = null, completionTokens = null;
        decimal? cost = null;
        string? currency = null;
        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case N.PromptTokens when UsageNumbers.TryGetCount(value, out var tokens): promptTokens = tokens; break;
                case N.CompletionTokens when UsageNumbers.TryGetCount(value, out var tokens): completionTokens = tokens; break;
                case N.Cost when UsageNumbers.TryGetAmount(value, out var amount): cost = amount; break;
                case N.Currency when value.ValueKind == JsonValueKind.String: currency = value.GetString(); break;
                default: return null;
            }
        }

        // Only the exact shape this library writes is interpreted, so anything else round-trips untouched.
        return promptTokens is { } prompt && completionTokens is { } completion
            ? new LlmUsage(prompt, completion, cost, currency)
            : null;
    }

    private static ImmutableDictionary<string, IReadOnlyList<LlmResponse>> ReadPending(JsonElement value, in JsonReadContext context)
    {
        RequireKind(value, JsonValueKind.Object, N.PendingLlmResponses, "an object", context);
        var builder = ImmutableDictionary.CreateBuilder<string, IReadOnlyList<LlmResponse>>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            var field = N.PendingLlmResponses + "." + property.Name;
            RequireStageNameKey(property.Name, N.PendingLlmResponses, context);
            if (!builder.TryAdd(property.Name, ReadResponses(property.Value, field, context)))
            // Stryker disable once Block,Statement,String : on .NET 9 and later the parser refuses duplicate keys first
            {
                // Stryker disable once Statement,String : the same unreachable throw
                throw context.Corrupt(field, "duplicate key");
            }
        }

        return builder.ToImmutable();
    }

    private static ImmutableList<LlmResponse> ReadResponses(JsonElement value, string field, in JsonReadContext context)
    {
        RequireKind(value, JsonValueKind.Array, field, "an array", context);
        var builder = ImmutableList.CreateBuilder<LlmResponse>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            builder.Add(ReadResponse(item, $"{field}[{index++}]", context));
        }

        return builder.ToImmutable();
    }
}
