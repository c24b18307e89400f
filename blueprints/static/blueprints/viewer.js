// In-browser 3D view of an STL, OBJ or glTF (binary) file with three.js (from the npm registry,
// served from /static/vendor/three/ through the page's import map).
import * as THREE from "three";
import { STLLoader } from "three/addons/loaders/STLLoader.js";
import { OBJLoader } from "three/addons/loaders/OBJLoader.js";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";

const root = document.querySelector("[data-viewer]");
const canvas = root.querySelector("canvas");
const statusLine = root.querySelector(".bp-viewer-status");

function setState(state, message) {
  root.dataset.state = state;
  statusLine.textContent = message || "";
}

async function fetchWithProgress(url) {
  const response = await fetch(url, { credentials: "omit" });
  if (!response.ok) throw new Error(String(response.status));
  const total = Number(response.headers.get("Content-Length")) || 0;
  if (!response.body || !total) return response.arrayBuffer();
  const reader = response.body.getReader();
  const buffer = new Uint8Array(total);
  let offset = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer.set(value, offset);
    offset += value.length;
    statusLine.textContent = root.dataset.msgLoading + " " + Math.floor((offset / total) * 100) + "%";
  }
  return buffer.buffer;
}

const material = new THREE.MeshStandardMaterial({ color: 0x5c80a8, metalness: 0.15, roughness: 0.6, side: THREE.DoubleSide });

function parse(type, data) {
  if (type === "stl") {
    const geometry = new STLLoader().parse(data);
    // Many exporters write zero normals: compute them from the triangles (flat, one per face).
    geometry.computeVertexNormals();
    // STL and CAD are z-up; three.js is y-up.
    geometry.rotateX(-Math.PI / 2);
    return new THREE.Mesh(geometry, material);
  }
  if (type === "obj") {
    const group = new OBJLoader().parse(new TextDecoder().decode(data));
    group.traverse((child) => {
      if (!child.isMesh) return;
      child.material = material;
      if (!child.geometry.attributes.normal) child.geometry.computeVertexNormals();
    });
    return group;
  }
  if (type === "glb") {
    return new Promise((resolve, reject) => new GLTFLoader().parse(data, "", (gltf) => resolve(gltf.scene), reject));
  }
  throw new Error("unsupported " + type);
}

function countTriangles(object) {
  let triangles = 0;
  object.traverse((child) => {
    if (!child.isMesh) return;
    const geometry = child.geometry;
    triangles += geometry.index ? geometry.index.count / 3 : geometry.attributes.position.count / 3;
  });
  return Math.round(triangles);
}

function show(object) {
  let renderer;
  try {
    renderer = new THREE.WebGLRenderer({ canvas: canvas, antialias: true });
  } catch (error) {
    setState("no-webgl", root.dataset.msgNowebgl);
    return;
  }
  const width = canvas.clientWidth || 800;
  const height = canvas.clientHeight || 500;
  renderer.setPixelRatio(window.devicePixelRatio || 1);
  renderer.setSize(width, height, false);
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xf6f5f1);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x667788, 1.6));
  const sun = new THREE.DirectionalLight(0xffffff, 1.8);
  sun.position.set(-1, 2, 1.5);
  scene.add(sun);
  scene.add(object);

  const box = new THREE.Box3().setFromObject(object);
  const size = box.getSize(new THREE.Vector3());
  const centre = box.getCenter(new THREE.Vector3());
  const radius = Math.max(size.length() / 2, 1e-6);
  const camera = new THREE.PerspectiveCamera(40, width / height, radius / 100, radius * 100);
  camera.position.copy(centre).add(new THREE.Vector3(-1.2, 0.9, 1.6).normalize().multiplyScalar(radius * 2.8));
  const controls = new OrbitControls(camera, canvas);
  controls.target.copy(centre);
  controls.update();

  function frame() {
    controls.update();
    renderer.render(scene, camera);
    requestAnimationFrame(frame);
  }
  frame();
  setState("shown", "");
}

(async function main() {
  setState("loading", root.dataset.msgLoading);
  try {
    const data = await fetchWithProgress(root.dataset.url);
    const object = await parse(root.dataset.type, data);
    root.dataset.triangles = String(countTriangles(object));
    setState("parsed", "");
    show(object);
  } catch (error) {
    setState("failed", root.dataset.msgFailed);
    console.error(error);
  }
})();
