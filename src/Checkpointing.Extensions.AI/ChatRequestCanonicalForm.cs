using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Checkpointing;

/// <summary>
/// Writes everything of a chat request that changes the answer (messages with all their contents, and
/// <see cref="ChatOptions"/>) as versioned JSON that this library defines field by field, so the cache key does not
/// depend on Microsoft.Extensions.AI's own serializer. Keys are sorted and numbers normalized afterwards by
/// <see cref="LlmRequest"/>'s canonical form, so dictionary order cannot change the key.
/// </summary>
internal sealed class ChatRequestCanonicalForm
{
    /// <summary>The version of this form, part of every key; change it only with a new pinned vector.</summary>
    public const int Version = 1;

    private readonly JsonSerializerOptions _serializerOptions;

    public ChatRequestCanonicalForm(JsonSerializerOptions serializerOptions) => _serializerOptions = serializerOptions;

    /// <summary>Writes the form of <paramref name="messages"/> and <paramref name="options"/>.</summary>
    /// <returns>The form as a JSON element.</returns>
    public JsonElement Write(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v", Version);
            writer.WriteStartArray("messages");
            foreach (var message in messages)
            {
                WriteMessage(writer, message);
            }

            writer.WriteEndArray();
            if (options is not null && OptionsForm(options) is { } form)
            {
                writer.WritePropertyName("options");
                writer.WriteRawValue(form.Span, skipInputValidation: true);
            }

            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private void WriteMessage(Utf8JsonWriter writer, ChatMessage message)
    {
        writer.WriteStartObject();
        writer.WriteString("role", message.Role.Value);
        WriteIfNotNull(writer, "author", message.AuthorName);
        writer.WriteStartArray("contents");
        foreach (var content in message.Contents)
        {
            WriteContent(writer, content);
        }

        writer.WriteEndArray();
        WriteProperties(writer, "additional_properties", message.AdditionalProperties);
        writer.WriteEndObject();
    }

    private void WriteContent(Utf8JsonWriter writer, AIContent content)
    {
        writer.WriteStartObject();
        switch (content)
        {
            case TextContent text:
                writer.WriteString("type", "text");
                writer.WriteString("text", text.Text);
                break;
            case TextReasoningContent reasoning:
                writer.WriteString("type", "reasoning");
                writer.WriteString("text", reasoning.Text);
                break;
            case DataContent data:
                writer.WriteString("type", "data");
                writer.WriteString("media_type", data.MediaType);
                WriteIfNotNull(writer, "name", data.Name);
                writer.WriteString("sha256", Convert.ToHexString(SHA256.HashData(data.Data.Span)).ToLowerInvariant());
                break;
            case UriContent uri:
                writer.WriteString("type", "uri");
                writer.WriteString("uri", uri.Uri.OriginalString);
                writer.WriteString("media_type", uri.MediaType);
                break;
            case HostedFileContent file:
                writer.WriteString("type", "hosted_file");
                writer.WriteString("file_id", file.FileId);
                break;
            case FunctionCallContent call:
                writer.WriteString("type", "function_call");
                writer.WriteString("call_id", call.CallId);
                writer.WriteString("name", call.Name);
                WriteProperties(writer, "arguments", call.Arguments);
                break;
            case FunctionResultContent result:
                writer.WriteString("type", "function_result");
                writer.WriteString("call_id", result.CallId);
                writer.WritePropertyName("result");
                WriteValue(writer, result.Result);
                break;
            case ErrorContent error:
                writer.WriteString("type", "error");
                writer.WriteString("message", error.Message);
                WriteIfNotNull(writer, "code", error.ErrorCode);
                break;
            default:
                // Contents this form has no fields for are written by Microsoft.Extensions.AI's serializer, under their type name.
                writer.WriteString("type", content.GetType().FullName);
                writer.WritePropertyName("json");
                WriteValue(writer, content);
                break;
        }

        WriteProperties(writer, "additional_properties", content.AdditionalProperties);
        writer.WriteEndObject();
    }

    /// <summary>The options' form, or <see langword="null"/> when they set nothing (as good as no options: the same key).</summary>
    private ReadOnlyMemory<byte>? OptionsForm(ChatOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteOptions(writer, options);
        }

        return buffer.WrittenSpan.SequenceEqual("{}"u8) ? (ReadOnlyMemory<byte>?)null : buffer.WrittenMemory;
    }

    private void WriteOptions(Utf8JsonWriter writer, ChatOptions options)
    {
        writer.WriteStartObject();
        WriteIfNotNull(writer, "model_id", options.ModelId);
        WriteIfNotNull(writer, "instructions", options.Instructions);
        WriteIfNotNull(writer, "conversation_id", options.ConversationId);
        WriteNumber(writer, "temperature", options.Temperature);
        WriteNumber(writer, "top_p", options.TopP);
        WriteNumber(writer, "top_k", options.TopK);
        WriteNumber(writer, "max_output_tokens", options.MaxOutputTokens);
        WriteNumber(writer, "frequency_penalty", options.FrequencyPenalty);
        WriteNumber(writer, "presence_penalty", options.PresencePenalty);
        WriteNumber(writer, "seed", options.Seed);
        if (options.AllowMultipleToolCalls is { } allowMultiple)
        {
            writer.WriteBoolean("allow_multiple_tool_calls", allowMultiple);
        }

        if (options.StopSequences is { Count: > 0 } stops)
        {
            writer.WriteStartArray("stop_sequences");
            foreach (var stop in stops)
            {
                writer.WriteStringValue(stop);
            }

            writer.WriteEndArray();
        }

        WriteResponseFormat(writer, options.ResponseFormat);
        WriteToolMode(writer, options.ToolMode);
        WriteTools(writer, options.Tools);
        if (options.Reasoning is not null)
        {
            writer.WritePropertyName("reasoning");
            WriteValue(writer, options.Reasoning);
        }

        WriteProperties(writer, "additional_properties", options.AdditionalProperties);
        writer.WriteEndObject();
    }

    private static void WriteResponseFormat(Utf8JsonWriter writer, ChatResponseFormat? format)
    {
        switch (format)
        {
            case null:
                return;
            case ChatResponseFormatText:
                writer.WriteString("response_format", "text");
                return;
            case ChatResponseFormatJson json:
                writer.WriteStartObject("response_format");
                writer.WriteString("type", "json");
                WriteIfNotNull(writer, "schema_name", json.SchemaName);
                WriteIfNotNull(writer, "schema_description", json.SchemaDescription);
                if (json.Schema is { } schema)
                {
                    writer.WritePropertyName("schema");
                    schema.WriteTo(writer);
                }

                writer.WriteEndObject();
                return;
            default:
                writer.WriteString("response_format", format.GetType().FullName);
                return;
        }
    }

    private static void WriteToolMode(Utf8JsonWriter writer, ChatToolMode? mode)
    {
        switch (mode)
        {
            case null:
                return;
            case NoneChatToolMode:
                writer.WriteString("tool_mode", "none");
                return;
            case AutoChatToolMode:
                writer.WriteString("tool_mode", "auto");
                return;
            case RequiredChatToolMode required:
                writer.WriteStartObject("tool_mode");
                writer.WriteString("type", "required");
                WriteIfNotNull(writer, "function_name", required.RequiredFunctionName);
                writer.WriteEndObject();
                return;
            default:
                writer.WriteString("tool_mode", mode.GetType().FullName);
                return;
        }
    }

    private void WriteTools(Utf8JsonWriter writer, IList<AITool>? tools)
    {
        if (tools is not { Count: > 0 })
        {
            return;
        }

        writer.WriteStartArray("tools");
        foreach (var tool in tools)
        {
            writer.WriteStartObject();
            writer.WriteString("kind", tool is AIFunctionDeclaration ? "function" : tool.GetType().FullName);
            writer.WriteString("name", tool.Name);
            writer.WriteString("description", tool.Description);
            if (tool is AIFunctionDeclaration function)
            {
                writer.WritePropertyName("parameters");
                function.JsonSchema.WriteTo(writer);
                if (function.ReturnJsonSchema is { } returns)
                {
                    writer.WritePropertyName("returns");
                    returns.WriteTo(writer);
                }
            }

            WriteProperties(writer, "additional_properties", tool.AdditionalProperties);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private void WriteProperties(Utf8JsonWriter writer, string name, IEnumerable<KeyValuePair<string, object?>>? properties)
    {
        if (properties is null || !properties.Any())
        {
            return;
        }

        writer.WriteStartObject(name);
        foreach (var (key, value) in properties.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.WritePropertyName(key);
            WriteValue(writer, value);
        }

        writer.WriteEndObject();
    }

    private void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            default:
                JsonSerializer.Serialize(writer, value, _serializerOptions.GetTypeInfo(value.GetType()));
                break;
        }
    }

    private static void WriteIfNotNull(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } number)
        {
            writer.WritePropertyName(name);
            writer.WriteRawValue(number.ToString("R", CultureInfo.InvariantCulture));
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
    }
}
