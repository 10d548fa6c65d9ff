// Writes order exports into the lake every hour (logs in this example).
setInterval(() => console.log("export: nothing new"), 3600 * 1000);
console.log("export: started");
