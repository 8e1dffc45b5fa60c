using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Checkpointing.Manager;

/// <summary>
/// Finds the JSON metadata of the caller's types (stage results, context values) through the caller's options: by
/// reflection where the app allows it, else from the source-generated context the options name.
/// </summary>
internal static class SerializerMetadata
{
    /// <summary>Gets the metadata of <typeparamref name="T"/>, or says how to supply it.</summary>
    /// <exception cref="InvalidOperationException">Reflection is disabled and the options have no metadata for the type.</exception>
    public static JsonTypeInfo<T> For<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)For(options, typeof(T));

    /// <summary>Gets the metadata of <paramref name="type"/>, or says how to supply it.</summary>
    /// <exception cref="InvalidOperationException">Reflection is disabled and the options have no metadata for the type.</exception>
    public static JsonTypeInfo For(JsonSerializerOptions options, Type type)
    {
        try
        {
            if (options.TypeInfoResolver is null && !options.IsReadOnly && JsonSerializer.IsReflectionEnabledByDefault)
            {
                UseReflection(options);
            }

            return options.GetTypeInfo(type);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException && !JsonSerializer.IsReflectionEnabledByDefault)
        {
            throw Missing(type, ex);
        }
    }

    /// <summary>The error for a type whose metadata the options lack while reflection is disabled.</summary>
    public static InvalidOperationException Missing(Type type, Exception cause) => new(
        $"No JSON metadata for {type}: reflection-based serialization is disabled in this app (Native AOT, trimming, or a .NET 10 "
        + "file-based app). Set CheckpointManagerOptions.SerializerOptions to options whose TypeInfoResolver is a source-generated "
        + $"JsonSerializerContext with [JsonSerializable(typeof({type.Name}))], or pass results as JsonElement. {cause.Message}",
        cause);

    /// <summary>Gives options without a resolver the reflection-based one, as <see cref="JsonSerializer"/>'s own methods do.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only called when the app enables reflection-based serialization (JsonSerializer.IsReflectionEnabledByDefault); trimmed and Native AOT apps disable it.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Only called when the app enables reflection-based serialization (JsonSerializer.IsReflectionEnabledByDefault); Native AOT apps disable it.")]
    private static void UseReflection(JsonSerializerOptions options) => options.MakeReadOnly(populateMissingResolver: true);
}
